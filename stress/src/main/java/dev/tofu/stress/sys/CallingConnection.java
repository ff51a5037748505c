package dev.tofu.stress.sys;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A {@link Connection} over a blocking request/response call ({@link Caller}), for RPC systems:
 * with one message in flight the driver thread itself calls (pingpong is exactly one call); with K
 * in flight, K virtual threads per connection call concurrently and hand their answers to the
 * driver, which takes them in send order.
 */
final class CallingConnection implements Connection {
    /** One blocking unary call. */
    interface Caller {
        /**
         * Calls with {@code request} and returns the response body, or null when no answer came
         * within {@code timeoutNanos} (the request is then gone).
         */
        byte[] call(byte[] request, long timeoutNanos) throws IOException;

        /**
         * Calls with {@code request} and puts the response body into {@code reply}; false when no
         * answer came within {@code timeoutNanos}. The pingpong path uses it, so a system that can
         * copy straight from its response into the reply saves an array per call.
         */
        default boolean callInto(byte[] request, long timeoutNanos, Reply reply) throws IOException {
            byte[] body = call(request, timeoutNanos);
            if (body == null) {
                return false;
            }
            fill(reply, body);
            return true;
        }
    }

    private static final long CALLER_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Caller caller;
    private final Runnable closer;
    private final Runnable aborter;
    private final int inFlight;
    private final LinkedBlockingQueue<Work> work = new LinkedBlockingQueue<>();
    private final ConcurrentHashMap<Long, Object> answers = new ConcurrentHashMap<>();
    private final ReentrantLock answerLock = new ReentrantLock();
    private final Condition answered = answerLock.newCondition();
    private final List<Thread> callers = new ArrayList<>();
    private long sent;      // driver thread only
    private long received;  // driver thread only
    private byte[] pending; // inFlight == 1: the request the next receive() calls with
    private volatile boolean closed;

    /**
     * @param closer  closes the underlying channel gracefully (after every caller ended)
     * @param aborter tears it down at once, any thread
     */
    CallingConnection(Caller caller, int inFlight, Runnable closer, Runnable aborter) {
        this.caller = caller;
        this.closer = closer;
        this.aborter = aborter;
        this.inFlight = Math.max(1, inFlight);
        if (this.inFlight > 1) {
            for (int i = 0; i < this.inFlight; i++) {
                callers.add(Thread.ofVirtual().name("rpc-caller").start(this::callLoop));
            }
        }
    }

    @Override
    public void send(byte[] payload, int length, long messageId, boolean more) {
        byte[] copy = java.util.Arrays.copyOf(payload, length);
        if (inFlight == 1) {
            pending = copy;
        } else {
            work.add(new Work(sent++, copy));
        }
    }

    @Override
    public boolean receive(Reply reply, long timeoutNanos) throws IOException {
        reply.clear();
        if (inFlight == 1) {
            byte[] p = pending;
            pending = null;
            if (p == null) {
                return false;
            }
            return caller.callInto(p, timeoutNanos, reply);
        }
        Object a = awaitAnswer(received, timeoutNanos);
        if (a == null) {
            return false;
        }
        received++;
        if (!(a instanceof byte[] body)) {
            throw new IOException("call failed: " + a);
        }
        fill(reply, body);
        return true;
    }

    private Object awaitAnswer(long seq, long timeoutNanos) throws IOException {
        long deadline = System.nanoTime() + timeoutNanos;
        answerLock.lock();
        try {
            Object a;
            while ((a = answers.remove(seq)) == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                answered.awaitNanos(left);
            }
            return a;
        } catch (InterruptedException e) {
            throw new IOException(e);
        } finally {
            answerLock.unlock();
        }
    }

    private void callLoop() {
        while (!closed) {
            Work w;
            try {
                w = work.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (w == null) {
                continue;
            }
            Object answer;
            try {
                byte[] body = caller.call(w.payload(), CALLER_TIMEOUT_NANOS);
                answer = body != null ? body : "no answer within 30 s";
            } catch (IOException | RuntimeException e) {
                answer = String.valueOf(e.getMessage());
            }
            answerLock.lock();
            try {
                answers.put(w.seq(), answer);
                answered.signalAll();
            } finally {
                answerLock.unlock();
            }
        }
    }

    private record Work(long seq, byte[] payload) {
    }

    static void fill(Reply reply, byte[] body) {
        byte[] data = reply.room(body.length);
        System.arraycopy(body, 0, data, 0, body.length);
        reply.length = body.length;
    }

    @Override
    public void close(Consumer<Reply> late) {
        closed = true;
        for (Thread t : callers) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closer.run();
    }

    @Override
    public void abort() {
        closed = true;
        aborter.run();
    }
}
