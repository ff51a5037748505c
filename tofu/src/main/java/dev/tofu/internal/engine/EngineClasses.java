package dev.tofu.internal.engine;

import dev.tofu.internal.concurrent.ClassPreload;
import dev.tofu.internal.io.BackPressureEvent;

/**
 * The classes the engine's virtual threads use, loaded by {@link ClassPreload} on the thread that
 * creates the first reactor (see there why), so no channel thread is the first to touch one.
 */
final class EngineClasses {

    private static final String[] CLASSES = {
            "dev.tofu.internal.engine.ChannelEvents$Opened",
            "dev.tofu.internal.engine.ChannelEvents$Closed",
            "dev.tofu.internal.engine.ChannelLifecycle",
            "dev.tofu.internal.engine.ChannelLifecycle$Snapshot",
            "dev.tofu.internal.engine.ChannelLifecycle$CloseCause",
            "dev.tofu.internal.engine.ChannelLifecycle$State",
            "dev.tofu.internal.io.Outbox",
            "dev.tofu.internal.engine.IoChannel",
            "dev.tofu.internal.io.ChannelHost",
            "dev.tofu.internal.io.ChannelReader",
            "dev.tofu.internal.io.ChannelWriter",
            "dev.tofu.internal.io.QueuedWriter",
            "dev.tofu.internal.io.DirectWriter",
            "dev.tofu.internal.io.Connector",
            "dev.tofu.internal.io.Connector$Connection",
            "dev.tofu.internal.io.Connector$Failure",
            "dev.tofu.internal.io.Sockets",
            "dev.tofu.internal.io.SocketTuning",
            "dev.tofu.internal.io.BackPressureEvent",
            "dev.tofu.internal.io.TlsTransport",
            "dev.tofu.internal.engine.ListenerChannel",
            "dev.tofu.internal.engine.GroupQueue",
            "dev.tofu.internal.io.ReadSpin",
            "dev.tofu.internal.concurrent.SpinSlots",
            "sun.nio.ch.Streams", // Channels.newInputStream, a reader's probe for ReadSpin
            "sun.nio.ch.SocketInputStream",
            "dev.tofu.internal.wire.FrameReader",
            "dev.tofu.internal.wire.FrameWriter",
            "dev.tofu.internal.wire.FrameHeader",
            "dev.tofu.internal.wire.ReceiveRules",
            "dev.tofu.internal.wire.ProtocolViolationException",
            "dev.tofu.internal.wire.TextHeaderParser",
            // a reader or writer whose staging pool is empty: two racing on DirectMemory's first
            // use pins one of them while the other initialises it
            "dev.tofu.internal.wire.StagingBuffers",
            "dev.tofu.internal.wire.DirectMemory",
            "dev.tofu.internal.wire.DirectMemory$Allocation",
            "java.util.concurrent.FutureTask",
            "java.util.concurrent.FutureTask$WaitNode",
            "java.util.concurrent.ExecutionException",
            "java.util.concurrent.ThreadPoolExecutor$Worker",
            "java.util.concurrent.LinkedBlockingQueue$Node",
            "dev.tofu.Address",
            "dev.tofu.Address$TcpClient",
            "dev.tofu.Address$TcpServer",
            "dev.tofu.Address$UdsClient",
            "dev.tofu.Address$UdsServer",
            "java.io.EOFException",
            "java.net.SocketException",
            "java.net.ConnectException",
            "java.net.UnixDomainSocketAddress",
            "java.net.InetSocketAddress", // a client's first connect initialises these on its writer
            "java.net.InetAddress",
            "java.nio.channels.ClosedChannelException",
            "java.nio.channels.AsynchronousCloseException",
            "java.nio.channels.UnresolvedAddressException",
            "java.nio.file.NoSuchFileException",
            // TlsTransport: an accepted channel's writer waits on a latch for its reader's handshake
            "java.util.concurrent.CountDownLatch",
            "java.util.concurrent.locks.AbstractQueuedSynchronizer$SharedNode",
            "java.util.concurrent.locks.AbstractQueuedSynchronizer$ExclusiveNode",
            "java.util.concurrent.locks.AbstractQueuedSynchronizer$ConditionNode",
    };

    private EngineClasses() {
    }

    /** Initialises every class in the list; a missing one is only logged. */
    static void preload() {
        ClassPreload.load(EngineClasses.class.getClassLoader(), CLASSES);
        // JFR registers an event class on its first instance; do that here too.
        new ChannelEvents.Opened();
        new ChannelEvents.Closed();
        new BackPressureEvent();
    }
}
