package dev.tofu.hostile.netns;

import dev.tofu.Address;
import dev.tofu.AllocationStrategy;
import dev.tofu.Ampe;
import dev.tofu.BinaryHeader;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;
import dev.tofu.OpCode;
import dev.tofu.Options;
import dev.tofu.Origin;
import dev.tofu.Reactor;
import dev.tofu.Status;
import dev.tofu.TofuException;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The echo server {@link LinkCutTest} runs in namespace A: listens on the link address only, echoes
 * Request→Response, HelloRequest→HelloResponse and ByeRequest→ByeResponse by re-posting the received
 * message (text headers and body unchanged), and exits once its first accepted channel has closed.
 *
 * <p>Output lines: {@code READY <~bound_to>} when listening; {@code CLOSED <reason> returned=<n>
 * statuses=<set> received=<requests> echoed=<responses posted> poolEmpty=<pool_empty Signals>} when the accepted channel's close
 * Signal arrives ({@code reason} is the status of the returned messages, or the reactor's recorded
 * close reason when none came back). Exit code 0 after CLOSED, 1 after {@code ERROR …}, 3 when the
 * test is gone (standard input closed).
 *
 * <p>Usage: {@code LinkCutServerMain <bind host> <idle timeout ms> <keepalive s>} (0 = off).
 */
public final class LinkCutServerMain {
    private LinkCutServerMain() {
    }

    public static void main(String[] args) {
        String host = args[0];
        long idleMs = Long.parseLong(args[1]);
        long keepAliveS = Long.parseLong(args[2]);
        ChildIo.commands(); // only for its end-of-input watch
        Options options = ChildIo.withTimeouts(Options.DEFAULT, idleMs, keepAliveS);
        try (Reactor reactor = Reactor.create(options)) {
            Ampe ampe = reactor.ampe();
            ChannelGroup group = ampe.create();
            Message listen = ampe.get(AllocationStrategy.ALWAYS);
            Address.tcpServer(host, 0).format(listen);
            BinaryHeader lh = group.post(listen);
            Message welcome = group.waitReceive(Duration.ofSeconds(30));
            if (welcome == null || welcome.status() != Status.SUCCESS) {
                ChildIo.fail("listen " + welcome);
                return;
            }
            ChildIo.say("READY " + welcome.headers().get(Address.BOUND_TO));
            welcome.close();
            long received = 0;
            long echoed = 0;
            long returned = 0;
            long poolEmpty = 0;
            Set<Status> statuses = EnumSet.noneOf(Status.class);
            while (true) {
                Message m = group.waitReceive(ChannelGroup.INFINITE);
                if (m == null) {
                    continue;
                }
                if (m.origin() == Origin.ENGINE) {
                    boolean closeSignal = m.opCode() == OpCode.SIGNAL && m.status() == Status.CHANNEL_CLOSED;
                    if (m.channel() != lh.channel() && closeSignal) {
                        m.close();
                        String reason = statuses.size() == 1 ? statuses.iterator().next().name() : recordedReason(reactor);
                        ChildIo.say("CLOSED " + reason + " returned=" + returned + " statuses=" + statuses
                                + " received=" + received + " echoed=" + echoed + " poolEmpty=" + poolEmpty);
                        break;
                    }
                    if (m.channel() != lh.channel() && m.opCode() != OpCode.SIGNAL) {
                        returned++; // an echo that was still unwritten (§5.6)
                        statuses.add(m.status());
                    } else if (m.status() == Status.POOL_EMPTY) {
                        poolEmpty++; // §6.6 backpressure notice; putting it back refills the pool
                    }
                    m.close();
                    continue;
                }
                OpCode reply = switch (m.opCode()) {
                    case REQUEST -> OpCode.RESPONSE;
                    case HELLO_REQUEST -> OpCode.HELLO_RESPONSE;
                    case BYE_REQUEST -> OpCode.BYE_RESPONSE;
                    default -> null;
                };
                if (reply == null) {
                    m.close();
                    continue;
                }
                if (reply == OpCode.RESPONSE) {
                    received++;
                }
                try {
                    group.post(m.opCode(reply).more(false));
                    if (reply == OpCode.RESPONSE) {
                        echoed++;
                    }
                } catch (TofuException e) {
                    m.close(); // the channel is closing; its bundle follows
                }
            }
        } catch (RuntimeException e) {
            ChildIo.fail("server " + e);
        }
        System.exit(0);
    }

    /** The reactor's close reason for the one channel that closed (waits briefly for the count). */
    static String recordedReason(Reactor reactor) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            Map<Status, Long> reasons = reactor.stats().closeReasons();
            if (!reasons.isEmpty()) {
                return reasons.size() == 1 ? reasons.keySet().iterator().next().name() : reasons.toString().replace(' ', '_');
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        return "UNKNOWN";
    }
}
