package dev.tofu.pinning;

import dev.tofu.testing.PinningGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pinning guard must see a pin when one happens, and only on the threads it watches. */
@Timeout(30)
class PinningGuardTest {
    /** Parking inside a class initialiser pins the carrier on every JDK so far. */
    static final class PinsWhileInitialising {
        static {
            LockSupport.parkNanos(20_000_000L);
        }

        static void touch() {
        }
    }

    static final class AlsoPinsWhileInitialising {
        static {
            LockSupport.parkNanos(20_000_000L);
        }

        static void touch() {
        }
    }

    static final class PinsAgainWhileInitialising {
        static {
            LockSupport.parkNanos(20_000_000L);
        }

        static void touch() {
        }
    }

    @Test
    void guardReportsAPinOnAWatchedVirtualThread() throws Exception {
        PinningGuard.Recorder r = new PinningGuard.Recorder("tofu-ch-guard-test", true);
        r.start();
        Thread t = Thread.ofVirtual().name("tofu-ch-guard-test-1").start(PinsWhileInitialising::touch);
        t.join();
        List<String> pins = r.stop();
        assertFalse(pins.isEmpty(), "a virtual thread parked in a class initialiser pins; the guard must see it");
        assertTrue(pins.get(0).startsWith("tofu-ch-guard-test-1"), pins.toString());
    }

    @Test
    void guardIgnoresOneTimeClassInitialisationPins() throws Exception {
        PinningGuard.Recorder r = new PinningGuard.Recorder("tofu-ch-guard-test");
        r.start();
        Thread t = Thread.ofVirtual().name("tofu-ch-guard-test-2").start(PinsAgainWhileInitialising::touch);
        t.join();
        assertTrue(r.stop().isEmpty(), "a pin inside <clinit> happens once per class and is not counted");
    }

    @Test
    void guardIgnoresThreadsItDoesNotWatch() throws Exception {
        PinningGuard.Recorder r = new PinningGuard.Recorder("tofu-ch-guard-test", true);
        r.start();
        Thread t = Thread.ofVirtual().name("someone-else").start(AlsoPinsWhileInitialising::touch);
        t.join();
        assertTrue(r.stop().isEmpty(), "only threads named with the watched prefix count");
    }

    @Test
    void jdkThreadContainerRegistryIsBookkeeping() {
        // The stack of the pin CI saw on JDK 25: a contended bin monitor while registering a new
        // virtual thread in the root thread container.
        assertTrue(PinningGuard.isJdkBookkeeping(List.of(
                "java.util.concurrent.ConcurrentHashMap.putVal",
                "java.util.concurrent.ConcurrentHashMap$KeySetView.add",
                "jdk.internal.vm.ThreadContainers$RootContainer$TrackingRootContainer.onStart",
                "jdk.internal.vm.ThreadContainer.add",
                "java.lang.VirtualThread.start",
                "java.lang.VirtualThread.start",
                "dev.tofu.internal.rpc.ServerCore.startHandler",
                "dev.tofu.internal.rpc.ServerCore.handlerDone")));
        assertTrue(PinningGuard.isJdkBookkeeping(List.of(
                "java.util.concurrent.ConcurrentHashMap.replaceNode",
                "java.util.concurrent.ConcurrentHashMap$KeySetView.remove",
                "jdk.internal.vm.ThreadContainers$RootContainer$TrackingRootContainer.onExit",
                "jdk.internal.vm.ThreadContainer.remove",
                "java.lang.VirtualThread.afterDone")));
    }

    @Test
    void jdkInterruptLockIsBookkeeping() {
        assertTrue(PinningGuard.isJdkBookkeeping(List.of(
                "java.lang.Thread.blockedOn",
                "sun.nio.ch.SocketChannelImpl.endRead",
                "sun.nio.ch.SocketChannelImpl.read",
                "dev.tofu.internal.engine.IoChannel.read")));
        assertTrue(PinningGuard.isJdkBookkeeping(List.of(
                "java.lang.VirtualThread.unmount",
                "java.lang.VirtualThread.yieldContinuation",
                "java.lang.VirtualThread.park",
                "java.util.concurrent.locks.LockSupport.park",
                "dev.tofu.internal.engine.Outbox.parkLocked")));
    }

    @Test
    void jdkPollerRegistryIsBookkeeping() {
        assertTrue(PinningGuard.isJdkBookkeeping(List.of(
                "java.util.concurrent.ConcurrentHashMap.putVal",
                "java.util.concurrent.ConcurrentHashMap.put",
                "sun.nio.ch.Poller.register",
                "sun.nio.ch.Poller.poll",
                "sun.nio.ch.Poller.poll",
                "sun.nio.ch.SocketChannelImpl.park",
                "sun.nio.ch.SocketChannelImpl.read",
                "dev.tofu.internal.engine.IoChannel.read")));
    }

    @Test
    void monitorsEnteredByTofuOrOtherJdkCodeAreCounted() {
        // The same map operation from tofu's own code is not the JDK's bookkeeping.
        assertFalse(PinningGuard.isJdkBookkeeping(List.of(
                "java.util.concurrent.ConcurrentHashMap.putVal",
                "java.util.concurrent.ConcurrentHashMap.put",
                "dev.tofu.internal.engine.ChannelTable.add")));
        assertFalse(PinningGuard.isJdkBookkeeping(List.of(
                "dev.tofu.internal.engine.Outbox.push",
                "dev.tofu.Group.post")));
        assertFalse(PinningGuard.isJdkBookkeeping(List.of(
                "java.nio.DirectByteBuffer.<init>",
                "java.nio.ByteBuffer.allocateDirect",
                "dev.tofu.internal.wire.StagingBuffers.borrow")));
        assertFalse(PinningGuard.isJdkBookkeeping(List.of()));
    }

    @Test
    void bookkeepingIsLookedForOnlyAmongTheInnermostFrames() {
        List<String> deep = new java.util.ArrayList<>();
        for (int i = 0; i < PinningGuard.BOOKKEEPING_DEPTH; i++) {
            deep.add("dev.tofu.internal.engine.Frame" + i + ".run");
        }
        deep.add("jdk.internal.vm.ThreadContainer.add");
        assertEquals(PinningGuard.BOOKKEEPING_DEPTH + 1, deep.size());
        assertFalse(PinningGuard.isJdkBookkeeping(deep), "a container frame below tofu's frames is not the pin's cause");
    }

    @Test
    void pinsInTheApplicationsCodeAreNotTofus() {
        // The two stacks CI saw on JDK 25 in request handlers written by tests ("Contended monitor
        // enter", "Freeze or preempt failed"): a first string concatenation linked by two handlers at
        // once, and a first InterruptedException thrown from AQS's timed acquire.
        assertTrue(PinningGuard.isApplicationCode(List.of(
                "dev.tofu.rpc.RpcStreamingTest.lambda$streamingServer$0",
                "dev.tofu.rpc.RpcStreamingTest$$Lambda.0x000000003f2ab8c8.handle",
                "dev.tofu.internal.rpc.ServerCore.runStreaming",
                "dev.tofu.internal.rpc.ServerCore.runHandler"), PinningGuard::isLibraryType));
        assertTrue(PinningGuard.isApplicationCode(List.of(
                "java.util.concurrent.locks.AbstractQueuedSynchronizer.tryAcquireSharedNanos",
                "java.util.concurrent.CountDownLatch.await",
                "dev.tofu.rpc.Rpc.await",
                "dev.tofu.rpc.RpcFailureTest.lambda$channelLossWakesEveryCaller$0",
                "dev.tofu.internal.rpc.ServerCore.runSimple"), PinningGuard::isLibraryType));
    }

    @Test
    void pinsInTofusCodeOrInTheJdkBelowItAreCounted() {
        assertFalse(PinningGuard.isApplicationCode(List.of(
                "java.util.concurrent.locks.AbstractQueuedSynchronizer.acquire",
                "dev.tofu.internal.rpc.ServerCore.runSimple",
                "dev.tofu.rpc.RpcFailureTest.someTest"), PinningGuard::isLibraryType),
                "the innermost frame outside the JDK is tofu's");
        assertFalse(PinningGuard.isApplicationCode(List.of(
                "java.lang.VirtualThread.park", "java.lang.VirtualThread.run"), PinningGuard::isLibraryType),
                "a stack of JDK frames only is not excused");
        assertFalse(PinningGuard.isApplicationCode(List.of(
                "dev.tofu.internal.NoSuchType.run", "dev.tofu.rpc.Rpc.await"), PinningGuard::isLibraryType),
                "a type that cannot be found counts as tofu's");
    }

    @Test
    void theLibrarysTypesAreToldApartFromTestTypesInTheSamePackages() {
        assertTrue(PinningGuard.isLibraryType("dev.tofu.Message"));
        assertTrue(PinningGuard.isLibraryType("dev.tofu.internal.rpc.ServerCore"));
        assertFalse(PinningGuard.isLibraryType("dev.tofu.AddressTest"), "a test class in the library's own package");
        assertFalse(PinningGuard.isLibraryType(PinningGuardTest.class.getName()));
        assertFalse(PinningGuard.isLibraryType(PinningGuardTest.class.getName() + "$$Lambda.0x0000000012345678"),
                "a lambda's hidden class is its host's");
    }

    @Test
    void aJavaAgentTransformingAClassAsItLoadsIsClassLoading() {
        // The Jazzer fuzz tests attach an agent to the test JVM; it transforms classes as they load
        // (seen in CI under TlsTransport.fillNetIn -> SocketChannelImpl.socket).
        assertTrue(PinningGuard.isClassLoadingStack(List.of(
                "sun.instrument.TransformerManager.transform",
                "sun.instrument.InstrumentationImpl.transform",
                "sun.nio.ch.SocketChannelImpl.socket",
                "dev.tofu.internal.engine.TlsTransport.fillNetIn")));
        assertTrue(PinningGuard.isClassLoadingStack(List.of(
                "dev.tofu.internal.engine.Frames.<clinit>",
                "dev.tofu.internal.engine.IoChannel.read")));
        assertFalse(PinningGuard.isClassLoadingStack(List.of(
                "sun.nio.ch.SocketChannelImpl.read",
                "dev.tofu.internal.engine.IoChannel.read")));
    }
}
