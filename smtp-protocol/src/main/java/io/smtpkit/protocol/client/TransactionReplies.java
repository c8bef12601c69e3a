package io.smtpkit.protocol.client;

import io.smtpkit.protocol.Reply;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One transaction's replies as they come in (MAIL, each RCPT, the verdicts after the data, one
 * per recipient under LMTP), and the {@link TransactionResult} they add up to.
 */
final class TransactionReplies {

    final Transaction transaction;
    final boolean bdat;
    final boolean pipelined;
    final boolean stepwise;
    // The transaction's recipients, or in a stepwise transaction those given so far.
    final List<Transaction.Recipient> recipients;
    final List<Reply> rcpt;
    final List<Reply> verdict;
    final List<Integer> accepted = new ArrayList<>();
    Reply mail;
    Reply stopper;
    Reply end;
    int rcptSent;
    int rcptAnswered;
    int finals;
    boolean chunkOutstanding;
    boolean finished;

    TransactionReplies(Transaction transaction, boolean bdat, boolean pipelined) {
        this(transaction, bdat, pipelined, false);
    }

    TransactionReplies(Transaction transaction, boolean bdat, boolean pipelined, boolean stepwise) {
        this.transaction = transaction;
        this.bdat = bdat;
        this.pipelined = pipelined;
        this.stepwise = stepwise;
        this.recipients = new ArrayList<>(transaction.recipients());
        int n = recipients.size();
        this.rcpt = new ArrayList<>(Collections.nCopies(n, (Reply) null));
        this.verdict = new ArrayList<>(Collections.nCopies(n, (Reply) null));
    }

    void addRecipient(Transaction.Recipient r) {
        recipients.add(r);
        rcpt.add(null);
        verdict.add(null);
    }

    boolean mailAccepted() {
        return mail != null && mail.code() / 100 == 2;
    }

    TransactionResult result(ClientFailure failure) {
        List<RecipientResult> results = new ArrayList<>(rcpt.size());
        Reply lastRcpt = null;
        for (int i = 0; i < rcpt.size(); i++) {
            Transaction.Recipient who = recipients.get(i);
            Reply r = rcpt.get(i);
            lastRcpt = r != null ? r : lastRcpt;
            if (verdict.get(i) != null) {
                results.add(new RecipientResult(who, r, verdict.get(i), RecipientResult.Stage.DATA));
            } else if (mail != null && !mailAccepted()) {
                // Under PIPELINING the RCPTs after a refused MAIL get 503s; the MAIL's reply is the verdict.
                results.add(new RecipientResult(who, r, mail, RecipientResult.Stage.RCPT));
            } else if (r != null && r.code() / 100 != 2) {
                results.add(new RecipientResult(who, r, r, RecipientResult.Stage.RCPT));
            } else if (r != null && stopper != null) {
                results.add(new RecipientResult(who, r, stopper, RecipientResult.Stage.DATA));
            } else {
                results.add(new RecipientResult(who, r, failure != null ? failure.reply() : Reply.LOCAL_ERROR,
                        RecipientResult.Stage.LOCAL));
            }
        }
        Reply reply;
        if (end != null) {
            reply = end;
        } else if (mail != null && !mailAccepted()) {
            reply = mail;
        } else if (stopper != null) {
            reply = stopper;
        } else if (failure != null) {
            reply = failure.reply();
        } else if (lastRcpt != null) {
            reply = lastRcpt; // every recipient refused
        } else {
            reply = Reply.LOCAL_ERROR;
        }
        return new TransactionResult(results, mail, reply, failure);
    }
}
