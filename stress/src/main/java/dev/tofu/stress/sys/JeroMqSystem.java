package dev.tofu.stress.sys;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * JeroMQ 0.6 over TCP: REQ/REP when one message is in flight per connection (the latency pattern),
 * DEALER/ROUTER when more are (the throughput pattern). Server: one platform thread per server
 * socket; each client socket is driven by one platform thread (JeroMQ sockets are not thread-safe
 * and block inside a selector, which virtual threads gain nothing from). One I/O thread per context.
 */
public final class JeroMqSystem implements EchoSystem {
    private static final int POLL_MS = 200;
    /** The connect probe (see {@link #connect}): its payload, how long to wait for it, how often to try. */
    private static final byte[] PROBE = "jeromq-connect-probe".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final long PROBE_WAIT_MS = 2000;
    private static final int PROBE_ATTEMPTS = 5;

    private ZContext clientContext;
    private volatile int repPort;
    private volatile int routerPort;
    private volatile boolean dealer;
    private volatile int maxPayload = 65535;

    @Override
    public String name() {
        return "jeromq";
    }

    @Override
    public Transport transport() {
        return Transport.TCP;
    }

    @Override
    public EchoServer newServer() {
        return new Server();
    }

    /** Endpoint: "REP-port,ROUTER-port" on 127.0.0.1 (new ones for every measurement, see {@link Server#prepare}). */
    @Override
    public void attach(String endpoint) {
        if (clientContext == null) {
            clientContext = new ZContext(1);
        }
        String[] p = endpoint.split(",");
        repPort = Integer.parseInt(p[0]);
        routerPort = Integer.parseInt(p[1]);
    }

    @Override
    public void prepare(int connections, int inFlight, int maxPayload) {
        this.dealer = inFlight > 1;
        this.maxPayload = maxPayload;
    }

    /**
     * The server half: a REP and a ROUTER socket, each served by a platform thread of its own, in
     * a context with one I/O thread.
     */
    private static final class Server implements EchoServer {
        private ZContext serverContext;
        private final List<Thread> serverThreads = new ArrayList<>();
        private volatile boolean running = true;
        private final java.util.Queue<String> serverErrors = new java.util.concurrent.ConcurrentLinkedQueue<>();

        @Override
        public String start() {
            serverContext = new ZContext(1);
            return startServers(); // replaced by fresh sockets at each measurement's prepare()
        }

        /** A fresh REP and ROUTER socket on new ports, each served by a thread of its own; returns the endpoint. */
        private String startServers() {
            running = true;
            ZMQ.Socket rep = serverContext.createSocket(SocketType.REP);
            int repPort = rep.bindToRandomPort("tcp://127.0.0.1");
            ZMQ.Socket router = serverContext.createSocket(SocketType.ROUTER);
            router.setRouterMandatory(false);
            int routerPort = router.bindToRandomPort("tcp://127.0.0.1");
            serverThreads.add(Thread.ofPlatform().daemon().name("jeromq-rep").start(() -> serveRep(rep)));
            serverThreads.add(Thread.ofPlatform().daemon().name("jeromq-router").start(() -> serveRouter(router)));
            return repPort + "," + routerPort;
        }

        /** Ends the server threads; each closes its socket on the way out. */
        private void stopServers() {
            running = false;
            for (Thread t : serverThreads) {
                try {
                    t.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            serverThreads.clear();
        }

        private void serveRep(ZMQ.Socket s) {
            s.setReceiveTimeOut(POLL_MS);
            serve("REP", s, () -> {
                byte[] m = s.recv(0);
                if (m != null && !s.send(m, 0)) {
                    serverErrors.add("REP send failed: errno " + s.errno());
                }
            });
        }

        private void serveRouter(ZMQ.Socket s) {
            s.setReceiveTimeOut(POLL_MS);
            serve("ROUTER", s, () -> {
                byte[] id = s.recv(0);
                if (id == null) {
                    return;
                }
                byte[] m = s.recv(0);
                if (!s.send(id, ZMQ.SNDMORE) || !s.send(m, 0)) {
                    serverErrors.add("ROUTER send failed: errno " + s.errno());
                }
            });
        }

        /**
         * Runs a server loop until close. An error other than the context ending is noted (and
         * reported by {@link #leaks}) and the loop goes on: a server thread that died silently used to
         * leave every later client of the run waiting for replies that never came.
         */
        private void serve(String kind, ZMQ.Socket s, Runnable step) {
            try {
                while (running) {
                    try {
                        step.run();
                    } catch (ZMQException e) {
                        if (!running || e.getErrorCode() == ZMQ.Error.ETERM.getCode()) {
                            return;
                        }
                        if (serverErrors.size() < 20) {
                            serverErrors.add(kind + " server: " + e);
                        }
                        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L); // no hot loop on a lasting error
                    }
                }
            } finally {
                s.close();
            }
        }

        /**
         * Fresh server sockets for every measurement. Reusing one REP/ROUTER across the rounds of a
         * compare run (each round connects new client sockets and destroys them with linger 0)
         * made JeroMQ now and then never deliver a new connection's first requests: 3 of 10-12
         * pingpong rounds lost their only request (the server never received it), and pipeline
         * rounds lost their first 64. With fresh sockets, none in the same runs.
         */
        @Override
        public String prepare(int connections, int inFlight, int maxPayload) {
            stopServers();
            return startServers();
        }

        @Override
        public List<String> leaks(long waitMillis) {
            List<String> problems = new ArrayList<>();
            String e;
            while ((e = serverErrors.poll()) != null) {
                problems.add("jeromq: " + e);
            }
            return problems;
        }

        @Override
        public void close() {
            stopServers();
            serverContext.close();
        }
    }

    /**
     * Opens a client socket and returns once a probe message has come back through it, as the
     * {@link EchoSystem#connect} contract asks ("blocking until it can carry messages"): a ZeroMQ
     * connect returns before the connection exists. A probe without a reply within
     * {@link #PROBE_WAIT_MS} gets a new socket, as the ZeroMQ guide's "Lazy Pirate" REQ client
     * does; now and then JeroMQ never delivered a new connection's first request (see
     * {@link #prepare}), and without this that one request was counted lost in the measurement.
     */
    @Override
    public Connection connect() throws IOException {
        for (int attempt = 1; ; attempt++) {
            ZMQ.Socket s = clientContext.createSocket(dealer ? SocketType.DEALER : SocketType.REQ);
            s.setLinger(0);
            s.setReceiveTimeOut(POLL_MS);
            s.setSndHWM(0);
            s.setRcvHWM(0);
            s.connect("tcp://127.0.0.1:" + (dealer ? routerPort : repPort));
            if (probe(s)) {
                return new ZmqConnection(s, maxPayload);
            }
            clientContext.destroySocket(s);
            System.err.println("jeromq: no reply to the connect probe within " + PROBE_WAIT_MS
                    + " ms (attempt " + attempt + "); retrying on a new socket");
            if (attempt == PROBE_ATTEMPTS) {
                throw new IOException("jeromq: no reply to the connect probe in " + PROBE_ATTEMPTS + " attempts");
            }
        }
    }

    /** Sends the probe and waits for its echo; false if none came in time. */
    private static boolean probe(ZMQ.Socket s) throws IOException {
        if (!s.send(PROBE, 0)) {
            throw new IOException("jeromq: connect probe send failed: errno " + s.errno());
        }
        long deadline = System.nanoTime() + PROBE_WAIT_MS * 1_000_000L;
        while (System.nanoTime() - deadline < 0) {
            byte[] reply = s.recv(0); // null after POLL_MS without a reply
            if (reply != null) {
                if (!java.util.Arrays.equals(reply, PROBE)) {
                    throw new IOException("jeromq: the connect probe came back changed");
                }
                return true;
            }
        }
        return false;
    }

    @Override
    public ThreadFactory driverThreads() {
        return Thread.ofPlatform().daemon().name("drv-jeromq-", 0).factory();
    }

    @Override
    public List<String> leaks(long waitMillis) {
        int open = clientContext == null ? 0 : clientContext.getSockets().size();
        return open > 0 ? List.of("jeromq: " + open + " client sockets still open") : List.of();
    }

    @Override
    public void close() {
        if (clientContext != null) {
            clientContext.close();
            clientContext = null;
        }
    }

    private final class ZmqConnection implements Connection {
        private final ZMQ.Socket s;
        private final int maxPayload;
        private volatile boolean aborted;

        ZmqConnection(ZMQ.Socket s, int maxPayload) {
            this.s = s;
            this.maxPayload = maxPayload;
        }

        @Override
        public void send(byte[] payload, int length, long messageId, boolean more) throws IOException {
            if (aborted || !s.send(payload, 0, length, 0)) {
                throw new IOException("jeromq send failed: " + s.errno());
            }
        }

        @Override
        public boolean receive(Reply reply, long timeoutNanos) throws IOException {
            reply.clear();
            long deadline = System.nanoTime() + timeoutNanos;
            byte[] buf = reply.room(maxPayload);
            while (true) {
                if (aborted) {
                    throw new IOException("aborted");
                }
                int n = s.recv(buf, 0, buf.length, 0);
                if (n >= 0) {
                    reply.length = n;
                    return true;
                }
                if (System.nanoTime() - deadline > 0) {
                    return false;
                }
            }
        }

        @Override
        public void close(Consumer<Reply> late) {
            clientContext.destroySocket(s);
        }

        @Override
        public void abort() {
            aborted = true; // the driver notices within POLL_MS and closes the socket itself
        }
    }
}
