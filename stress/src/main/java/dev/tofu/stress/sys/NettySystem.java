package dev.tofu.stress.sys;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Netty 4.2, NIO transport, over TCP, bridged to the harness's blocking driver threads the way an
 * experienced Netty user would bridge a blocking caller onto an event loop.
 *
 * <p>Server: one event loop thread; a {@link LengthFieldBasedFrameDecoder} cuts
 * {@code [length:4][payload]} frames, each frame is written back as received (prefix included) and
 * the writes are flushed once at the end of each read ({@code channelReadComplete}).
 *
 * <p>Client: one NIO event loop thread for all client channels (two event loops in all, one per
 * core of the 2-core machine the figures of docs/PERFORMANCE.md come from); each connection is driven by one
 * platform {@link #driverThreads() driver thread}, as JeroMQ's are. Virtual driver threads and a
 * second client event loop measured no faster there.
 * <ul>
 *   <li>Outbound: {@code send} encodes the frame into a pooled {@link ByteBuf}, puts it on the
 *       connection's outbound queue and, unless a drain task is already pending, schedules one on
 *       the channel's event loop. The drain task writes everything queued and flushes once. A burst
 *       of sends thus costs one task submission and one gathering write, where {@code writeAndFlush}
 *       from the driver thread costs a task and a write syscall per message (that was this
 *       adapter's first version: 3-5x slower on pipelined loads).</li>
 *   <li>Inbound: a frame decoder strips the prefix and copies each frame into a pooled buffer of
 *       its own (not the default slice of its cumulation buffer, so no reference count is touched
 *       by two threads) and puts it on the connection's inbound queue; the driver copies it into the
 *       reply and releases it. The driver, if parked in {@code receive}, is unparked once per read
 *       ({@code channelReadComplete}), not once per frame.</li>
 *   <li>{@code close} closes the channel (SO_LINGER 0), waits for the close to complete and hands
 *       frames still queued to the harness as late replies; {@code abort} closes the channel from
 *       any thread, whose {@code channelInactive} fails a blocked {@code receive}.</li>
 * </ul>
 *
 * <p>The coalescing drops nothing: a send either schedules a drain task or finds one pending that
 * has not yet started draining (the task clears its flag before it polls the queue), and
 * {@code close} reaches the event loop after any drain task its driver scheduled (tasks run in
 * submission order).
 */
public final class NettySystem implements EchoSystem {
    private static final Object CLOSED = new Object();

    private EventLoopGroup clientLoop;
    private Bootstrap client;
    private volatile InetSocketAddress target;

    @Override
    public String name() {
        return "netty";
    }

    @Override
    public Transport transport() {
        return Transport.TCP;
    }

    @Override
    public EchoServer newServer() {
        return new Server();
    }

    /** Endpoint: the server's port on 127.0.0.1. */
    @Override
    public void attach(String endpoint) {
        target = new InetSocketAddress("127.0.0.1", Integer.parseInt(endpoint));
        if (clientLoop == null) {
            clientLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            client = new Bootstrap().group(clientLoop).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_LINGER, 0);
        }
    }

    /** The server half: one event loop, frames echoed as received, one flush per read. */
    private static final class Server implements EchoServer {
        private EventLoopGroup serverLoop;
        private Channel serverChannel;
        private ChannelGroup serverChildren;

        @Override
        public String start() throws Exception {
            serverLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            serverChildren = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
            ServerBootstrap sb = new ServerBootstrap().group(serverLoop).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            serverChildren.add(ch);
                            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(1 << 20, 0, 4, 0, 0), new Echo());
                        }
                    });
            serverChannel = sb.bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            return Integer.toString(((InetSocketAddress) serverChannel.localAddress()).getPort());
        }

        @Override
        public List<String> leaks(long waitMillis) {
            long deadline = System.currentTimeMillis() + waitMillis;
            while (System.currentTimeMillis() < deadline && !serverChildren.isEmpty()) {
                EmbeddedTofuServer.sleep(20);
            }
            return serverChildren.isEmpty() ? List.of() : List.of("netty server: " + serverChildren.size() + " channels still open");
        }

        @Override
        public void close() {
            serverChannel.close().syncUninterruptibly();
            serverChildren.close().syncUninterruptibly();
            serverLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise()); // the frame with its length prefix, as received
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @Override
    public Connection connect() throws IOException {
        Inbound in = new Inbound();
        Bootstrap b = client.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new OwnFrames(), in);
            }
        });
        try {
            Channel ch = b.connect(target).sync().channel();
            return new NettyConnection(ch, in);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (Exception e) {
            throw new IOException("netty connect failed: " + e, e);
        }
    }

    @Override
    public ThreadFactory driverThreads() {
        return Thread.ofPlatform().daemon().name("drv-netty-", 0).factory();
    }

    @Override
    public void close() {
        if (clientLoop != null) {
            clientLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            clientLoop = null;
        }
    }

    /**
     * Strips the length prefix and copies each frame into a buffer of its own instead of the
     * default retained slice of the cumulation buffer: the frame is released on the driver thread,
     * and releasing a slice there touches the cumulation buffer's reference count, which the event
     * loop uses at the same time. (With slices, two of two compare runs on JDK 25.0.3 died in C2
     * compiling Netty's {@code ReferenceCountUpdater.retryRelease0}; none has since.)
     */
    private static final class OwnFrames extends LengthFieldBasedFrameDecoder {
        OwnFrames() {
            super(1 << 20, 0, 4, 0, 4);
        }

        @Override
        protected ByteBuf extractFrame(ChannelHandlerContext ctx, ByteBuf buffer, int index, int length) {
            return ctx.alloc().buffer(length).writeBytes(buffer, index, length);
        }
    }

    /**
     * The inbound end of one client connection: the event loop adds decoded frames (then
     * {@link #CLOSED} once the channel is inactive) to {@link #frames}; the one driver thread takes
     * them in {@link NettyConnection#receive}. The driver publishes itself in {@link #waiter}
     * before its last look at the queue and parking; the event loop adds before it reads
     * {@link #waiter}, so a frame is never left in the queue with its driver parked (Dekker on two
     * volatile accesses; spurious unparks are harmless).
     */
    private static final class Inbound extends ChannelInboundHandlerAdapter {
        /** Frames (own buffers, see {@link OwnFrames}), finally CLOSED: event loop adds, driver polls and releases. */
        final ConcurrentLinkedQueue<Object> frames = new ConcurrentLinkedQueue<>();
        /** The driver while it is about to park or parked in receive, else null. */
        volatile Thread waiter;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            frames.add(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            wake(); // once per read, not once per frame
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            frames.add(CLOSED);
            wake();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        private void wake() {
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }

        /** Driver thread: the next frame or CLOSED, or null after {@code timeoutNanos}. */
        Object take(long timeoutNanos) throws IOException {
            Object o = frames.poll();
            if (o != null) {
                return o;
            }
            long deadline = System.nanoTime() + timeoutNanos;
            waiter = Thread.currentThread();
            try {
                while ((o = frames.poll()) == null) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return null;
                    }
                    LockSupport.parkNanos(this, left);
                    if (Thread.interrupted()) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted");
                    }
                }
                return o;
            } finally {
                waiter = null;
            }
        }
    }

    /**
     * One client connection. {@code send}, {@code receive} and {@code close} run on the driver
     * thread, {@link #run()} (the drain task) on the channel's event loop, {@code abort} anywhere.
     * Invariant: whenever {@link #outbound} is non-empty, a drain task is pending whose
     * {@code drainPending.set(false)} has not yet happened, so it will see everything queued.
     */
    private static final class NettyConnection implements Connection, Runnable {
        private final Channel ch;
        private final Inbound in;
        /** Encoded frames not yet written: driver adds, the drain task polls. */
        private final ConcurrentLinkedQueue<ByteBuf> outbound = new ConcurrentLinkedQueue<>();
        /** A drain task is scheduled and has not yet started draining. */
        private final AtomicBoolean drainPending = new AtomicBoolean();

        NettyConnection(Channel ch, Inbound in) {
            this.ch = ch;
            this.in = in;
        }

        @Override
        public void send(byte[] payload, int length, long messageId, boolean more) throws IOException {
            if (!ch.isActive()) {
                throw new IOException("netty channel closed");
            }
            ByteBuf b = ch.alloc().ioBuffer(4 + length);
            b.writeInt(length).writeBytes(payload, 0, length);
            outbound.add(b); // visible before the flag is read below
            if (!drainPending.get() && drainPending.compareAndSet(false, true)) {
                ch.eventLoop().execute(this);
            }
        }

        /** Event loop: write everything queued, flush once. Writes to a closed channel release the buffer. */
        @Override
        public void run() {
            drainPending.set(false); // before polling: a send that sees false schedules another drain
            ByteBuf b;
            boolean wrote = false;
            while ((b = outbound.poll()) != null) {
                ch.write(b, ch.voidPromise());
                wrote = true;
            }
            if (wrote) {
                ch.flush();
            }
        }

        @Override
        public boolean receive(Reply reply, long timeoutNanos) throws IOException {
            reply.clear();
            Object o = in.take(timeoutNanos);
            if (o == null) {
                return false;
            }
            if (o == CLOSED) {
                in.frames.add(CLOSED); // every later receive fails too
                throw new IOException("netty channel closed");
            }
            copy((ByteBuf) o, reply);
            return true;
        }

        private static void copy(ByteBuf frame, Reply reply) {
            try {
                int n = frame.readableBytes();
                frame.readBytes(reply.room(n), 0, n);
                reply.length = n;
            } finally {
                frame.release();
            }
        }

        @Override
        public void close(Consumer<Reply> late) {
            // Submitted after any drain task this driver scheduled, so every send is written first.
            ch.close().syncUninterruptibly();
            Reply r = new Reply(64);
            Object o;
            while ((o = in.frames.poll()) != null) {
                if (o instanceof ByteBuf frame) {
                    r.clear();
                    copy(frame, r);
                    late.accept(r);
                }
            }
        }

        @Override
        public void abort() {
            ch.close();
        }
    }
}
