package io.smtpkit.relay.queue;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.client.RecipientResult;
import io.smtpkit.protocol.client.Transaction;
import io.smtpkit.protocol.client.TransactionResult;
import io.smtpkit.relay.NextHop;
import io.smtpkit.relay.RelayConfig;
import io.smtpkit.relay.internal.DeliveryStatusNotification;
import io.smtpkit.relay.internal.Upstream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a relay queue: a scheduler thread claims what is due and hands each message to one of
 * {@link QueueConfig#workers()} delivery threads, which send its pending recipients to their next
 * hops through the relay's own client ({@code internal.Upstream}: routes, TLS, AUTH, the
 * recipients' own verdicts) and record the outcome per recipient. Never on an event loop.
 *
 * <ul>
 *   <li>250 → delivered. 4xx, or a next hop that cannot be reached → deferred, tried again after
 *       {@link QueueConfig#backoff}. 5xx → failed.
 *   <li>A recipient still deferred when its {@link QueueConfig#lifetime()} is over fails too.
 *   <li>Failed recipients get one notification (RFC 3464, {@code Action: failed}) to the reverse
 *       path, enqueued in the same store from {@code <>}; never for a null reverse path (so never
 *       for a notification), never when the recipient's NOTIFY excludes it (RFC 3461 §4.1).
 *   <li>With {@link QueueConfig#delayWarning()}, once that much time has passed, recipients still
 *       deferred get one {@code Action: delayed} notification.
 *   <li>The lease on a message is renewed while its delivery runs; after a crash the message is
 *       delivered again (at-least-once), and the notifications are enqueued before the attempt is
 *       recorded, so a crash can repeat one, never lose it.
 * </ul>
 */
public final class QueueRunner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueueRunner.class);
    private static final Pattern REPLY = Pattern.compile("(\\d{3})(?: ([245]\\.\\d{1,3}\\.\\d{1,3}))?(?: (.*))?", Pattern.DOTALL);

    private final QueueStore store;
    private final RelayConfig relay;
    private final QueueConfig config;
    private final String owner;
    private final ExecutorService workers;
    private final ScheduledExecutorService renewals;
    private final Thread scheduler;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Object signal = new Object();
    private volatile boolean running = true;
    private boolean woken;
    private Duration tick = Duration.ofMillis(250);

    /** A runner for {@code store} (not started); {@code relay} says where and how recipients are delivered. */
    public QueueRunner(QueueStore store, RelayConfig relay, QueueConfig config) {
        this.store = store;
        this.relay = relay;
        this.config = config;
        this.owner = ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(config.workers(), r -> daemon(r, "smtpkit-queue-" + n.incrementAndGet()));
        this.renewals = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "smtpkit-queue-lease"));
        this.scheduler = daemon(this::schedule, "smtpkit-queue-scheduler");
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** How often the scheduler looks for due work (and, for a disk queue, for the {@code queue} command's requests). */
    QueueRunner tick(Duration tick) {
        this.tick = tick;
        return this;
    }

    /** Starts the scheduler. */
    public QueueRunner start() {
        scheduler.start();
        return this;
    }

    /** Looks for due work now rather than at the next tick (a message was just enqueued). */
    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    /** Stops claiming, lets deliveries in progress finish for up to 30 s, then stops. The store stays open. */
    @Override
    public void close() {
        running = false;
        wake();
        try {
            scheduler.join(5_000);
            workers.shutdown();
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                workers.shutdownNow(); // their leases run out; another start delivers them again
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            workers.shutdownNow();
        }
        renewals.shutdownNow();
    }

    private void schedule() {
        while (running) {
            // Looks even with every worker busy (max 0): the disk store carries out the queue
            // command's requests there, and hold or delete matter most when deliveries hang.
            int free = Math.max(0, config.workers() - inFlight.get());
            try {
                for (QueuedMessage m : store.claimDue(Instant.now(), free, config.lease(), owner)) {
                    inFlight.incrementAndGet();
                    workers.execute(() -> deliverAndRecord(m));
                }
            } catch (IOException | RuntimeException e) {
                log.error("queue: cannot look for due messages: {}", e.toString());
            }
            synchronized (signal) {
                if (!woken && running) {
                    try {
                        signal.wait(tick.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                woken = false;
            }
        }
    }

    private void deliverAndRecord(QueuedMessage m) {
        ScheduledFuture<?> renewal = renewals.scheduleAtFixedRate(() -> renew(m.id()),
                config.lease().toMillis() / 3, config.lease().toMillis() / 3, TimeUnit.MILLISECONDS);
        try {
            List<RecipientOutcome> outcomes = attempt(m);
            Instant now = Instant.now();
            outcomes = expire(m, outcomes, now);
            try {
                notifySender(m, outcomes, now);
            } catch (IOException | RuntimeException e) {
                // The delivered recipients must still be recorded, or they would get the message
                // again; the failed ones wait as deferred, so their notification is tried again.
                log.error("queue: {}: the notification could not be queued ({}); its recipients stay deferred", m.id(),
                        e.toString());
                outcomes = outcomes.stream().map(o -> o.result() == RecipientOutcome.Result.FAILED
                        ? RecipientOutcome.deferred(o.address(), o.reply()) : o).toList();
            }
            Instant next = now.plus(config.backoff(m.attempts() + 1));
            Instant end = m.arrival().plus(config.lifetime());
            if (next.isAfter(end) && end.isAfter(now)) {
                next = end; // the end of the lifetime is noticed then, not a whole backoff later
            }
            if (!record(m, outcomes, now, next)) {
                log.warn("queue: {}: the lease was lost during delivery; the outcome is not recorded", m.id());
            }
        } catch (NoSuchElementException deleted) {
            log.info("queue: {} was deleted during its delivery", m.id());
        } catch (IOException | RuntimeException e) {
            log.error("queue: {}: delivery failed: {}; it will be tried again when its lease ends", m.id(), e.toString());
        } finally {
            renewal.cancel(false);
            inFlight.decrementAndGet();
            wake();
        }
    }

    /**
     * Records the attempt, trying three times: an outcome not recorded sends the message again to
     * the recipients it reached once the lease ends (allowed, at least once, but not wanted).
     */
    private boolean record(QueuedMessage m, List<RecipientOutcome> outcomes, Instant now, Instant next) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return store.recordAttempt(m.id(), owner, outcomes, now, next);
            } catch (IOException | RuntimeException e) {
                if (attempt == 3 || e instanceof NoSuchElementException) {
                    throw e;
                }
                log.warn("queue: {}: cannot record the attempt ({}); trying again", m.id(), e.toString());
                try {
                    Thread.sleep(500L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private void renew(String id) {
        try {
            if (!store.renew(id, owner, Instant.now().plus(config.lease()))) {
                // Another claim holds it now (this delivery ran past its lease): the outcome will not
                // be recorded, and the message may be delivered twice (at least once, as promised).
                log.warn("queue: {}: the lease was lost during delivery; another delivery may run", id);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("queue: {}: cannot renew the lease: {}", id, e.toString());
        }
    }

    /** One attempt at every pending recipient, one transaction per next hop. */
    List<RecipientOutcome> attempt(QueuedMessage m) throws IOException {
        Map<NextHop, List<RecipientState>> byHop = new LinkedHashMap<>();
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (RecipientState r : m.pending()) {
            NextHop hop = relay.nextHopFor(path(r.address()).domain());
            if (hop == null) {
                outcomes.add(RecipientOutcome.failed(r.address(), "550 5.1.2 No next hop for the recipient's domain"));
            } else {
                byHop.computeIfAbsent(hop, h -> new ArrayList<>()).add(r);
            }
        }
        for (Map.Entry<NextHop, List<RecipientState>> group : byHop.entrySet()) {
            outcomes.addAll(send(m, group.getKey(), group.getValue()));
        }
        return outcomes;
    }

    private List<RecipientOutcome> send(QueuedMessage m, NextHop hop, List<RecipientState> recipients) throws IOException {
        Transaction.Builder t = Transaction.from(path(m.sender())).body(body(m.mailParameters()))
                .smtpUtf8(m.mailParameters().containsKey("SMTPUTF8")).size(m.size())
                .dsn(m.mailParameters().get("RET"), m.mailParameters().get("ENVID"));
        for (RecipientState r : recipients) {
            t.to(new Transaction.Recipient(path(r.address()), r.parameters().get("NOTIFY"), r.parameters().get("ORCPT")));
        }
        TransactionResult result;
        try (Upstream upstream = Upstream.connect(hop, relay); InputStream content = store.open(m.id())) {
            result = upstream.send(t.build(), content);
        } catch (IOException e) {
            result = new TransactionResult(List.of(), null, Reply.of(451, "4.4.2", "Lost the connection to the next hop"), null);
            log.warn("queue: {} → {}: {}", m.id(), hop, e.toString());
        }
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (int i = 0; i < recipients.size(); i++) {
            String address = recipients.get(i).address();
            // with no results at all (never connected, refused before RCPT) the transaction's reply speaks for each
            Reply reply = i < result.recipients().size() ? result.recipients().get(i).reply() : result.reply();
            boolean delivered = i < result.recipients().size() && result.recipients().get(i).delivered();
            outcomes.add(delivered ? RecipientOutcome.delivered(address, text(reply))
                    : reply.isPermanent() ? RecipientOutcome.failed(address, text(reply))
                    : RecipientOutcome.deferred(address, text(reply)));
        }
        log.info("queue: {} → {}: {}", m.id(), hop, outcomes.stream()
                .map(o -> o.address() + " " + o.result().name().toLowerCase(Locale.ROOT) + " (" + o.reply() + ")").toList());
        return outcomes;
    }

    private List<RecipientOutcome> expire(QueuedMessage m, List<RecipientOutcome> outcomes, Instant now) {
        if (now.isBefore(m.arrival().plus(config.lifetime()))) {
            return outcomes;
        }
        List<RecipientOutcome> out = new ArrayList<>(outcomes.size());
        for (RecipientOutcome o : outcomes) {
            out.add(o.result() == RecipientOutcome.Result.DEFERRED
                    ? RecipientOutcome.failed(o.address(), o.reply()) // the last reply says why; Status keeps its 4.x.x
                    : o);
        }
        return out;
    }

    private void notifySender(QueuedMessage m, List<RecipientOutcome> outcomes, Instant now) throws IOException {
        if (m.envelope().isBounce()) {
            return; // RFC 5321 §4.5.5: nothing answers a null reverse path, so no notification loops
        }
        List<DeliveryStatusNotification.Failed> failed = new ArrayList<>();
        List<DeliveryStatusNotification.Failed> delayed = new ArrayList<>();
        Instant warnAt = config.delayWarning() == null ? null : m.arrival().plus(config.delayWarning());
        boolean warnNow = warnAt != null && !now.isBefore(warnAt) && (m.lastAttempt() == null || m.lastAttempt().isBefore(warnAt));
        for (RecipientOutcome o : outcomes) {
            RecipientState r = m.recipients().stream().filter(x -> x.address().equals(o.address())).findFirst().orElseThrow();
            String notify = r.parameters().getOrDefault("NOTIFY", "FAILURE,DELAY");
            notify = notify == null ? "" : notify.toUpperCase(Locale.ROOT);
            DeliveryStatusNotification.Failed f =
                    new DeliveryStatusNotification.Failed(path(o.address()), r.parameters().get("ORCPT"), reply(o.reply()));
            if (o.result() == RecipientOutcome.Result.FAILED && notify.contains("FAILURE")) {
                failed.add(f);
            } else if (o.result() == RecipientOutcome.Result.DEFERRED && warnNow && notify.contains("DELAY")) {
                delayed.add(f);
            }
        }
        if (!failed.isEmpty()) {
            enqueueNotification(m, failed, false, "Your message could not be delivered to these recipients:");
        }
        if (!delayed.isEmpty()) {
            enqueueNotification(m, delayed, true, "Your message has not been delivered to these recipients yet; "
                    + "delivery is still being tried until " + m.arrival().plus(config.lifetime()) + ":");
        }
    }

    private void enqueueNotification(QueuedMessage m, List<DeliveryStatusNotification.Failed> recipients, boolean delayed,
            String explanation) throws IOException {
        byte[] header;
        try (InputStream content = store.open(m.id())) {
            header = DeliveryStatusNotification.headerOf(content);
        }
        ZoneId zone = ZoneId.systemDefault();
        DeliveryStatusNotification dsn = new DeliveryStatusNotification(relay.heloName(), null,
                ZonedDateTime.ofInstant(m.arrival(), zone), recipients, header, delayed, explanation);
        byte[] message = dsn.toMessage(path(m.sender()), ZonedDateTime.now(zone));
        Map<String, String> params = dsn.isEightBit() ? Map.of("BODY", "8BITMIME") : Map.of();
        QueuedMessage queued = store.enqueue(new QueuedEnvelope("", params,
                List.of(new QueuedEnvelope.Recipient(m.sender(), Map.of()))), new ByteArrayInputStream(message));
        log.info("queue: {}: {} notification for {} to <{}> queued as {}", m.id(), delayed ? "delay" : "failure",
                recipients.stream().map(f -> f.recipient().address()).toList(), m.sender(), queued.id());
    }

    private static BodyType body(Map<String, String> mail) {
        String b = mail.get("BODY");
        return switch (b == null ? "" : b.toUpperCase(Locale.ROOT)) {
            case "8BITMIME" -> BodyType.EIGHT_BIT_MIME;
            case "BINARYMIME" -> BodyType.BINARY_MIME;
            default -> BodyType.SEVEN_BIT;
        };
    }

    /** An address as the store keeps it, back into a path: the domain follows the last {@code @}. */
    static MailPath path(String address) {
        if (address.isEmpty()) {
            return MailPath.NULL;
        }
        int at = address.lastIndexOf('@');
        return at < 0 ? new MailPath(address, null) : new MailPath(address.substring(0, at), address.substring(at + 1));
    }

    /** A reply as the store keeps it: {@code 451 4.4.1 text}. */
    static String text(Reply r) {
        return r.code() + (r.enhancedStatus() != null ? " " + r.enhancedStatus() : "") + " " + String.join(" ", r.lines());
    }

    /** {@link #text} read back; a text that is not a reply counts as a temporary local error. */
    static Reply reply(String text) {
        Matcher m = text == null ? null : REPLY.matcher(text.strip());
        if (m == null || !m.matches()) {
            return Reply.of(451, "4.3.0", text == null ? "no reply recorded" : text);
        }
        String rest = m.group(3) == null ? "" : m.group(3);
        return m.group(2) != null ? Reply.of(Integer.parseInt(m.group(1)), m.group(2), rest)
                : Reply.of(Integer.parseInt(m.group(1)), rest);
    }
}
