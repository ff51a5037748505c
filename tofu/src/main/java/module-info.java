/**
 * tofu for Java: message-passing networking on virtual threads with plain blocking sockets.
 *
 * <p>Only {@code dev.tofu} is exported; everything under {@code dev.tofu.internal} is free to change.
 */
module dev.tofu {
    requires org.slf4j;
    requires org.jctools.core;
    requires jdk.jfr;
    requires transitive jdk.net;

    exports dev.tofu;
}
