package dev.tofu.stress.load;

import dev.tofu.stress.sys.Connection;
import dev.tofu.stress.sys.Reply;

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * One connection's sending and checking, owned by its driver thread: a window of messages in
 * flight, each remembered by sequence number with its length, CRC32C, message id, {@code more}
 * flag and send time, so every reply is matched to exactly one message sent.
 *
 * <p>Payload: bytes 0..7 the sequence number (big-endian), the rest random bytes fixed per
 * connection; the CRC32C covers all of it. A reply whose sequence number is not in flight is a
 * duplicate; one whose length, CRC, id or flag differs is corrupted; what is still in flight when
 * the connection ends is lost, unless the caller knows a fault it injected tore the connection down
 * ({@link #endCut}: the soak run's casualties, counted apart).
 *
 * <p>The flow counts in fields of its own and adds them to {@link Stats} every
 * {@value #PUBLISH_EVERY} replies and when it ends ({@link #endLost}, {@link #endCut},
 * {@link #publish}), so drivers share no counter per message.
 *
 * <p>Threads: one driver thread calls everything; {@link Stats} is the only shared state.
 */
public final class Flow {
    /** Replies between two additions of this flow's counts to {@link Stats}. */
    static final int PUBLISH_EVERY = 256;

    private final Stats stats;
    private final LoadSpec spec;
    private final int chunks;
    private final long[] slotSeq;
    private final int[] slotCrc;
    private final int[] slotLen;
    private final long[] slotMsgId;
    private final boolean[] slotMore;
    private final long[] slotStart;
    private final int mask;
    private final byte[] payload;
    private final CRC32C crc = new CRC32C();
    private final String who;
    private final Reply reply;

    private long nextSeq = 1;
    private long messageCounter;
    private long messageId;
    private long messageStart;
    int inFlight;
    private long echoedHere;   // this flow's own counts (the soak run's per-fault figures)
    private long returnedHere;
    // counted here, not yet added to stats (see publish)
    private long sentPending;
    private long echoedPending;
    private long returnedPending;
    private long measuredMsgsPending;
    private long measuredBytesPending;
    private long[] latencyPending;  // allocated at the first measured reply, dropped by publish()
    private int latencyCount;
    private int repliesPending;

    /**
     * A flow counting into {@code stats}, with payload bytes drawn from {@code seed}.
     *
     * @param who names the connection in problem texts
     */
    public Flow(Stats stats, LoadSpec spec, long seed, String who) {
        this.stats = stats;
        this.spec = spec;
        this.chunks = spec.chunksPerMessage();
        int slots = Integer.highestOneBit(Math.max(4, spec.inFlight() * 4) - 1) << 1;
        this.slotSeq = new long[slots];
        this.slotCrc = new int[slots];
        this.slotLen = new int[slots];
        this.slotMsgId = new long[slots];
        this.slotMore = new boolean[slots];
        this.slotStart = new long[slots];
        this.mask = slots - 1;
        this.payload = new byte[spec.chunk()];
        new SplittableRandom(seed).nextBytes(payload);
        this.who = who;
        this.reply = new Reply(spec.chunk());
    }

    /** The reply holder this flow's connection fills. */
    public Reply reply() {
        return reply;
    }

    /** Sends the next message (stream: the next chunk); its latency counts from now. */
    public void sendNext(Connection c) throws IOException {
        sendNext(c, System.nanoTime());
    }

    /**
     * Sends the next message with its latency counted from {@code origin} (System.nanoTime), which
     * the rate workload sets to the intended send time when the system made the send late.
     */
    public void sendNext(Connection c, long origin) throws IOException {
        long seq = nextSeq++;
        int index = (int) ((seq - 1) % chunks);
        // chunks of equal size (within a byte), so none is too short to carry the sequence number
        int len = spec.size() / chunks + (index < spec.size() % chunks ? 1 : 0);
        boolean more = index < chunks - 1;
        long now = origin;
        if (index == 0) {
            messageId = ++messageCounter;
            messageStart = now;
        }
        for (int i = 0; i < 8; i++) {
            payload[i] = (byte) (seq >>> (56 - 8 * i));
        }
        crc.reset();
        crc.update(payload, 0, len);
        int s = (int) (seq & mask);
        if (slotSeq[s] != 0) {
            stats.lost.increment(); // the window wrapped around a message that never came back
            stats.problem(who + ": message " + slotSeq[s] + " never came back (overtaken by " + seq + ")");
            inFlight--;
        }
        slotSeq[s] = seq;
        slotCrc[s] = (int) crc.getValue();
        slotLen[s] = len;
        slotMsgId[s] = messageId;
        slotMore[s] = more;
        slotStart[s] = messageStart;
        inFlight++;
        sentPending++;
        c.send(payload, len, messageId, more);
    }

    /** Accounts for one received (echoed or returned) message. */
    public void onReply(Reply r) {
        if (r.length < 8) {
            stats.corrupted.increment();
            stats.problem(who + ": reply of " + r.length + " bytes, too short to carry a sequence number");
            return;
        }
        byte[] d = r.data;
        long seq = 0;
        for (int i = 0; i < 8; i++) {
            seq = (seq << 8) | (d[i] & 0xFF);
        }
        int s = (int) (seq & mask);
        if (seq <= 0 || seq >= nextSeq || slotSeq[s] != seq) {
            stats.duplicated.increment();
            stats.problem(who + ": reply for message " + seq + " which is not in flight (duplicate or forged)");
            return;
        }
        slotSeq[s] = 0;
        inFlight--;
        if (r.status != 0) {
            returnedPending++; // accounted for: the library gave it back with a status
            returnedHere++;
            counted();
            return;
        }
        boolean ok = r.length == slotLen[s];
        if (ok) {
            crc.reset();
            crc.update(d, 0, r.length);
            ok = (int) crc.getValue() == slotCrc[s];
        }
        if (ok && r.messageId != 0) { // systems with ids and flags (tofu) must echo both
            ok = r.messageId == slotMsgId[s] && r.more == slotMore[s];
        }
        if (!ok) {
            stats.corrupted.increment();
            stats.problem(who + ": message " + seq + " came back corrupted (length " + r.length + "/" + slotLen[s]
                    + ", id " + r.messageId + "/" + slotMsgId[s] + ", more " + r.more + "/" + slotMore[s] + ")");
            return;
        }
        echoedPending++;
        echoedHere++;
        if (stats.measuring) {
            measuredMsgsPending++;
            measuredBytesPending += r.length;
            if (!slotMore[s]) {
                recordLatency(Math.max(1, System.nanoTime() - slotStart[s]));
            }
        }
        counted();
    }

    /** Notes one latency; the buffer never fills: counted() adds it to stats every PUBLISH_EVERY replies. */
    private void recordLatency(long nanos) {
        if (latencyPending == null) {
            latencyPending = new long[PUBLISH_EVERY];
        }
        latencyPending[latencyCount++] = nanos;
    }

    private void counted() {
        if (++repliesPending >= PUBLISH_EVERY) {
            addPending();
        }
    }

    /** Adds what this flow counted since the last time to {@link Stats}. */
    private void addPending() {
        stats.sent.add(sentPending);
        stats.echoed.add(echoedPending);
        stats.allMsgs.add(echoedPending);
        stats.returned.add(returnedPending);
        stats.measuredMsgs.add(measuredMsgsPending);
        stats.measuredBytes.add(measuredBytesPending);
        if (latencyCount > 0) {
            stats.recordLatencies(latencyPending, latencyCount);
            latencyCount = 0;
        }
        sentPending = 0;
        echoedPending = 0;
        returnedPending = 0;
        measuredMsgsPending = 0;
        measuredBytesPending = 0;
        repliesPending = 0;
    }

    /**
     * Adds everything this flow has counted to {@link Stats} now, and lets go of its latency buffer
     * (fanin publishes before memory is measured; the end methods publish too).
     */
    public void publish() {
        addPending();
        latencyPending = null;
    }

    /** Counts what is still in flight as lost. */
    public void endLost(String why) {
        publish();
        if (inFlight > 0) {
            stats.lost.add(inFlight);
            stats.problem(who + ": " + inFlight + " messages lost (" + why + ")");
            inFlight = 0;
            java.util.Arrays.fill(slotSeq, 0);
        }
    }

    /** Messages sent and not yet echoed or returned. */
    public int inFlight() {
        return inFlight;
    }

    /** Messages of this flow that came back intact. */
    public long echoedCount() {
        return echoedHere;
    }

    /** Messages of this flow the library returned with a status. */
    public long returnedCount() {
        return returnedHere;
    }

    /**
     * Takes back the message the last {@link #sendNext} counted when the library refused it at
     * once (the send threw: the message never left the caller), so it counts neither sent nor in flight.
     */
    public void unsend() {
        long seq = nextSeq - 1;
        int s = (int) (seq & mask);
        if (seq > 0 && slotSeq[s] == seq) {
            slotSeq[s] = 0;
            inFlight--;
            sentPending--;
        }
    }

    /**
     * Ends the flow after a fault the caller injected tore its connection down: what is still in
     * flight was written before the fault and its echo was cut off; it is added to {@code cut}
     * (not counted lost).
     *
     * @return how many messages were cut
     */
    public int endCut(java.util.concurrent.atomic.LongAdder cut) {
        publish();
        int n = inFlight;
        if (n > 0) {
            cut.add(n);
            inFlight = 0;
            java.util.Arrays.fill(slotSeq, 0);
        }
        return n;
    }
}
