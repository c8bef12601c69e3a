package io.smtpkit.server;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * A TLS context whose engines understate their buffer sizes, as another JSSE provider may (or
 * the JDK's own after a session grows its record size): the caller must handle BUFFER_OVERFLOW
 * by enlarging its buffers, as SSLEngine's contract says.
 */
final class SmallBufferTls {

    private SmallBufferTls() {}

    static SSLContext wrap(SSLContext real, int claimedSize) {
        SSLContextSpi spi = new SSLContextSpi() {
            @Override protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
                throw new UnsupportedOperationException();
            }
            @Override protected SSLSocketFactory engineGetSocketFactory() { return real.getSocketFactory(); }
            @Override protected SSLServerSocketFactory engineGetServerSocketFactory() { return real.getServerSocketFactory(); }
            @Override protected SSLEngine engineCreateSSLEngine() { return new Engine(real.createSSLEngine(), claimedSize); }
            @Override protected SSLEngine engineCreateSSLEngine(String host, int port) {
                return new Engine(real.createSSLEngine(host, port), claimedSize);
            }
            @Override protected SSLSessionContext engineGetServerSessionContext() { return real.getServerSessionContext(); }
            @Override protected SSLSessionContext engineGetClientSessionContext() { return real.getClientSessionContext(); }
            @Override protected SSLParameters engineGetDefaultSSLParameters() { return real.getDefaultSSLParameters(); }
            @Override protected SSLParameters engineGetSupportedSSLParameters() { return real.getSupportedSSLParameters(); }
        };
        return new SSLContext(spi, real.getProvider(), real.getProtocol()) { };
    }

    private static final class Engine extends SSLEngine {
        private final SSLEngine e;
        private final int claimed;

        Engine(SSLEngine e, int claimed) {
            super(e.getPeerHost(), e.getPeerPort());
            this.e = e;
            this.claimed = claimed;
        }

        @Override
        public SSLSession getSession() {
            SSLSession real = e.getSession();
            return (SSLSession) Proxy.newProxyInstance(SSLSession.class.getClassLoader(), new Class<?>[] {SSLSession.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("getPacketBufferSize") || method.getName().equals("getApplicationBufferSize")) {
                            return claimed;
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException x) {
                            throw x.getCause();
                        }
                    });
        }

        @Override public SSLEngineResult wrap(ByteBuffer[] s, int o, int l, ByteBuffer d) throws SSLException { return e.wrap(s, o, l, d); }
        @Override public SSLEngineResult unwrap(ByteBuffer s, ByteBuffer[] d, int o, int l) throws SSLException { return e.unwrap(s, d, o, l); }
        @Override public Runnable getDelegatedTask() { return e.getDelegatedTask(); }
        @Override public void closeInbound() throws SSLException { e.closeInbound(); }
        @Override public boolean isInboundDone() { return e.isInboundDone(); }
        @Override public void closeOutbound() { e.closeOutbound(); }
        @Override public boolean isOutboundDone() { return e.isOutboundDone(); }
        @Override public String[] getSupportedCipherSuites() { return e.getSupportedCipherSuites(); }
        @Override public String[] getEnabledCipherSuites() { return e.getEnabledCipherSuites(); }
        @Override public void setEnabledCipherSuites(String[] s) { e.setEnabledCipherSuites(s); }
        @Override public String[] getSupportedProtocols() { return e.getSupportedProtocols(); }
        @Override public String[] getEnabledProtocols() { return e.getEnabledProtocols(); }
        @Override public void setEnabledProtocols(String[] p) { e.setEnabledProtocols(p); }
        @Override public SSLSession getHandshakeSession() { return e.getHandshakeSession(); }
        @Override public void beginHandshake() throws SSLException { e.beginHandshake(); }
        @Override public SSLEngineResult.HandshakeStatus getHandshakeStatus() { return e.getHandshakeStatus(); }
        @Override public void setUseClientMode(boolean m) { e.setUseClientMode(m); }
        @Override public boolean getUseClientMode() { return e.getUseClientMode(); }
        @Override public void setNeedClientAuth(boolean n) { e.setNeedClientAuth(n); }
        @Override public boolean getNeedClientAuth() { return e.getNeedClientAuth(); }
        @Override public void setWantClientAuth(boolean w) { e.setWantClientAuth(w); }
        @Override public boolean getWantClientAuth() { return e.getWantClientAuth(); }
        @Override public void setEnableSessionCreation(boolean f) { e.setEnableSessionCreation(f); }
        @Override public boolean getEnableSessionCreation() { return e.getEnableSessionCreation(); }
        @Override public SSLParameters getSSLParameters() { return e.getSSLParameters(); }
        @Override public void setSSLParameters(SSLParameters p) { e.setSSLParameters(p); }
        @Override public String getApplicationProtocol() { return e.getApplicationProtocol(); }
        @Override public String getHandshakeApplicationProtocol() { return e.getHandshakeApplicationProtocol(); }
    }
}
