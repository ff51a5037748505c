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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Netty 4.2, NIO transport, over TCP: a length-prefixed ({@code [length:4][payload]}) echo server
 * (frame decoder, write each frame back, flush at the end of each read) on one event loop thread,
 * and clients on another event loop thread. Each client connection hands received frames to its
 * platform driver thread through a queue: the blocking shape every other system is driven with.
 */
public final class NettySystem implements EchoSystem {
    private static final Object CLOSED = new Object();

    private EventLoopGroup serverLoop;
    private EventLoopGroup clientLoop;
    private Channel serverChannel;
    private ChannelGroup serverChildren;
    private Bootstrap client;

    @Override
    public String name() {
        return "netty";
    }

    @Override
    public Transport transport() {
        return Transport.TCP;
    }

    @Override
    public void start() throws Exception {
        serverLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        clientLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
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
        client = new Bootstrap().group(clientLoop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_LINGER, 0);
    }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg); // the frame with its length prefix, as received
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
        LinkedBlockingQueue<Object> q = new LinkedBlockingQueue<>();
        Bootstrap b = client.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(1 << 20, 0, 4, 0, 4), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        q.add(msg);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        q.add(CLOSED);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        ctx.close();
                    }
                });
            }
        });
        try {
            Channel ch = b.connect(serverChannel.localAddress()).sync().channel();
            return new NettyConnection(ch, q);
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
        clientLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        serverLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class NettyConnection implements Connection {
        private final Channel ch;
        private final LinkedBlockingQueue<Object> q;

        NettyConnection(Channel ch, LinkedBlockingQueue<Object> q) {
            this.ch = ch;
            this.q = q;
        }

        @Override
        public void send(byte[] payload, int length, long messageId, boolean more) throws IOException {
            if (!ch.isActive()) {
                throw new IOException("netty channel closed");
            }
            ByteBuf b = ch.alloc().ioBuffer(4 + length);
            b.writeInt(length).writeBytes(payload, 0, length);
            ch.writeAndFlush(b, ch.voidPromise());
        }

        @Override
        public boolean receive(Reply reply, long timeoutNanos) throws IOException {
            reply.clear();
            Object o;
            try {
                o = q.poll(timeoutNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (o == null) {
                return false;
            }
            if (o == CLOSED) {
                q.add(CLOSED);
                throw new IOException("netty channel closed");
            }
            ByteBuf b = (ByteBuf) o;
            try {
                int n = b.readableBytes();
                b.readBytes(reply.room(n), 0, n);
                reply.length = n;
            } finally {
                b.release();
            }
            return true;
        }

        @Override
        public void close(Consumer<Reply> late) {
            ch.close().syncUninterruptibly();
            Object o;
            while ((o = q.poll()) != null) {
                if (o instanceof ByteBuf b) {
                    b.release();
                }
            }
        }

        @Override
        public void abort() {
            ch.close();
        }
    }
}
