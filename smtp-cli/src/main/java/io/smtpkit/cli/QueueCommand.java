package io.smtpkit.cli;

import io.smtpkit.relay.queue.QueueStore;
import io.smtpkit.relay.queue.QueueStores;
import io.smtpkit.relay.queue.QueuedMessage;
import io.smtpkit.relay.queue.RecipientState;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code smtpkit queue list|show ID|flush|delete ID|hold ID|release ID --queue DIR-or-URL}: the
 * relay queue's {@code postqueue -p}, {@code postcat}, {@code postqueue -f}, {@code postsuper -d},
 * {@code -h} and {@code -H}. Works while a server runs from the queue (its runner carries out the
 * changes) and while none does. The action names are a contract (issue #11).
 */
@Command(name = "queue", sortOptions = false, usageHelpAutoWidth = false,
        header = "Inspect and change a relay queue (-c relay -o queue=DIR), also while the server runs.",
        customSynopsis = "java -jar smtpkit.jar queue list|show ID|flush|delete ID|hold ID|release ID --queue DIR-or-URL",
        footer = {
            "",
            "  list     every message: id, age, size, sender, each recipient's state and last reply",
            "  show ID  one message: its envelope, attempts, and content",
            "  flush    every deferred recipient due now (postqueue -f)",
            "  delete   remove a message (postsuper -d)",
            "  hold     keep a message from delivery until released (postsuper -h)",
            "  release  make a held message due again (postsuper -H)",
            "",
            "Exit status: 0 done, 1 no such message or the queue cannot be read, 2 bad input."
        })
final class QueueCommand {

    @Parameters(index = "0", paramLabel = "ACTION", description = "list, show, flush, delete, hold or release")
    String action;

    @Parameters(index = "1", arity = "0..1", paramLabel = "ID", description = "the message, for show, delete, hold and release")
    String id;

    @Option(names = "--queue", paramLabel = "DIR-or-URL", required = true,
            description = "The queue: its directory, or postgresql://HOST/DB")
    String queue;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    /** Carries out the action; the exit status. */
    int run(PrintStream out, PrintStream err) {
        String a = action.toLowerCase(Locale.ROOT);
        boolean needsId = switch (a) {
            case "show", "delete", "hold", "release" -> true;
            case "list", "flush" -> false;
            default -> {
                err.println("smtpkit: queue: unknown action '" + action + "': list, show, flush, delete, hold or release");
                yield false;
            }
        };
        if (!List.of("list", "show", "flush", "delete", "hold", "release").contains(a)) {
            return Main.USAGE;
        }
        if (needsId != (id != null)) {
            err.println("smtpkit: queue " + a + (needsId ? " needs a message ID" : " takes no ID"));
            return Main.USAGE;
        }
        if (!QueueStores.isDatabase(queue) && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(queue, "active"))) {
            err.println("smtpkit: queue: no queue in " + queue + " (a relay started with -o queue=" + queue + " makes one)");
            return Main.FAILURE;
        }
        try (QueueStore store = QueueStores.inspect(queue)) {
            return switch (a) {
                case "list" -> list(store, out);
                case "show" -> show(store, out, err);
                case "flush" -> {
                    int n = store.flush(Instant.now());
                    out.println("flushed: " + n + " message(s) due now");
                    yield Main.OK;
                }
                default -> change(store, a, out, err);
            };
        } catch (IOException | RuntimeException e) {
            err.println("smtpkit: queue " + a + ": " + Main.oneLine(e.getMessage()));
            return Main.FAILURE;
        }
    }

    private static int list(QueueStore store, PrintStream out) throws IOException {
        List<QueuedMessage> all = store.list();
        if (all.isEmpty()) {
            out.println("the queue is empty");
            return Main.OK;
        }
        Instant now = Instant.now();
        long octets = 0;
        for (QueuedMessage m : all) {
            octets += m.size();
            out.println(m.id() + "  " + age(Duration.between(m.arrival(), now)) + "  " + m.size() + " bytes  from <"
                    + m.sender() + ">" + (m.held() ? "  HELD" : "")
                    + (m.held() || m.pending().isEmpty() ? "" : "  next attempt in " + age(Duration.between(now, m.nextAttempt()))));
            for (RecipientState r : m.recipients()) {
                out.println("    <" + r.address() + ">  " + r.state().name().toLowerCase(Locale.ROOT)
                        + (r.lastReply() == null ? "" : "  " + Main.oneLine(r.lastReply())));
            }
        }
        out.println("-- " + all.size() + " message(s), " + octets + " bytes");
        return Main.OK;
    }

    private int show(QueueStore store, PrintStream out, PrintStream err) throws IOException {
        Optional<QueuedMessage> found = store.get(id);
        if (found.isEmpty()) {
            err.println("smtpkit: queue show: no message " + id + " in the queue");
            return Main.FAILURE;
        }
        QueuedMessage m = found.get();
        out.println("id: " + m.id());
        out.println("arrival: " + m.arrival() + " (" + age(Duration.between(m.arrival(), Instant.now())) + " ago)");
        out.println("size: " + m.size());
        out.println("sender: <" + m.sender() + ">" + parameters(m.mailParameters()));
        out.println("held: " + (m.held() ? "yes" : "no"));
        out.println("attempts: " + m.attempts() + (m.lastAttempt() == null ? "" : ", last " + m.lastAttempt()));
        out.println("next attempt: " + m.nextAttempt());
        for (RecipientState r : m.recipients()) {
            out.println("recipient: <" + r.address() + ">" + parameters(r.parameters()) + "  "
                    + r.state().name().toLowerCase(Locale.ROOT) + (r.lastReply() == null ? "" : "  " + Main.oneLine(r.lastReply())));
        }
        out.println();
        try (InputStream content = store.open(id)) {
            content.transferTo(out);
        } catch (java.util.NoSuchElementException gone) {
            out.println("(delivered while being shown)");
        }
        out.flush();
        return Main.OK;
    }

    private int change(QueueStore store, String a, PrintStream out, PrintStream err) throws IOException {
        boolean found = switch (a) {
            case "delete" -> store.delete(id);
            case "hold" -> store.hold(id);
            default -> store.release(id);
        };
        if (!found) {
            err.println("smtpkit: queue " + a + ": no message " + id + " in the queue");
            return Main.FAILURE;
        }
        out.println(switch (a) {
            case "delete" -> "deleted: ";
            case "hold" -> "held: ";
            default -> "released: ";
        } + id);
        return Main.OK;
    }

    private static String parameters(Map<String, String> p) {
        StringBuilder b = new StringBuilder();
        p.forEach((k, v) -> b.append(' ').append(k).append(v == null ? "" : "=" + v));
        return b.toString();
    }

    /** {@code 45s}, {@code 3m12s}, {@code 4h05m}, {@code 2d03h}. */
    static String age(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + String.format("%02ds", s % 60);
        }
        if (s < 86400) {
            return s / 3600 + "h" + String.format("%02dm", s % 3600 / 60);
        }
        return s / 86400 + "d" + String.format("%02dh", s % 86400 / 3600);
    }
}
