package dev.tofu.recipes;

import dev.tofu.Ampe;
import dev.tofu.ChannelGroup;
import dev.tofu.Message;

/**
 * Recipe R18: what a {@link MultiHomedServer} runs. The server calls every method on its own
 * single thread: {@link #start} once before the first message, {@link #onMessage} for each message
 * that is neither a stop request nor a listener notice, {@link #stop} once at the end.
 */
public interface Services {
    /** Called once with the engine and the server's group, before any message. */
    void start(Ampe ampe, ChannelGroup group);

    /**
     * Handles one message; ownership moves to the service (post it or put it).
     *
     * @return {@code false} to stop the server (quota reached, cancelled, fatal error)
     */
    boolean onMessage(Message message);

    /** Called once when the server loop has ended. */
    void stop();
}
