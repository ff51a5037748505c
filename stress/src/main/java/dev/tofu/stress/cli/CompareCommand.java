package dev.tofu.stress.cli;

import picocli.CommandLine.Command;

import java.util.List;

/** Side by side: tofu, the raw-socket floor, JeroMQ, Netty and gRPC, interleaved, servers in one JVM or two. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the same workloads, payloads, machine and JVM on tofu and its variants (tcp, uds), its "
                + "request/response layer (tofu-call; tofu-cluster and tofu-cluster2: its cluster client over one and two servers), raw blocking sockets on platform and virtual threads (tcp, uds), "
                + "JeroMQ (REQ/REP for one in flight, DEALER/ROUTER otherwise), Netty 4.2 NIO and gRPC-java (grpc, grpc-vt; "
                + "tcp, uds), interleaved in rounds, each server in this JVM, in a second JVM (--processes 2) or both "
                + "(--processes 1,2), and prints each result also as a ratio to tofu on the same transport and placement, "
                + "with CPU per message, then the targets met or missed.",
                "Default: pingpong 64 B and pipeline 64 B x64 in flight on 1, 16 and 256 channels, 3 rounds (about 5 min)."})
public final class CompareCommand extends LoadCommand {
    public CompareCommand() {
        load.defaults(List.of("pingpong", "pipeline"), 2.0, 0.5, 3, List.of(1, 16, 256), 500, 10, 1 << 20, 8);
        sys.systems = new java.util.ArrayList<>(List.of("all"));
    }

    @Override
    String title() {
        return "tofu compare";
    }

    @Override
    boolean ratios() {
        return true;
    }
}
