package dev.tofu.stress.sys;

import dev.tofu.Body;
import dev.tofu.Message;
import dev.tofu.TofuException;
import dev.tofu.TofuTimeoutException;

import java.io.IOException;
import java.time.Duration;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * A {@link CallingConnection.Caller} over tofu's blocking calls ({@code Client.call},
 * {@code ClusterClient.call}): a request message from {@code newMessage}, filled with the payload
 * and handed to {@code call}; the response body is copied straight into the reply.
 */
final class MessageCaller implements CallingConnection.Caller {
    private final Supplier<Message> newMessage;
    private final BiFunction<Message, Duration, Message> call;
    /**
     * The last timeout asked for as a Duration (immutable, so a racy read sees a whole one): the
     * callers of a connection use one timeout, so they share one instance, as an application with
     * a constant call timeout would.
     */
    private Duration lastTimeout = Duration.ZERO;

    /**
     * @param newMessage gives a request message (a new lease)
     * @param call       sends it and returns the response (a new lease) or throws
     */
    MessageCaller(Supplier<Message> newMessage, BiFunction<Message, Duration, Message> call) {
        this.newMessage = newMessage;
        this.call = call;
    }

    @Override
    public boolean call(CallingConnection.Request request, long timeoutNanos, Reply reply) throws IOException {
        Duration timeout = lastTimeout;
        if (timeout.toNanos() != timeoutNanos) {
            lastTimeout = timeout = Duration.ofNanos(timeoutNanos);
        }
        try (Message m = newMessage.get()) {
            m.body().append(request.data, 0, request.length);
            try (Message r = call.apply(m, timeout)) {
                Body body = r.body();
                int n = body.length();
                body.copyTo(reply.room(n), 0);
                reply.length = n;
                return true;
            }
        } catch (TofuTimeoutException e) {
            return false;
        } catch (TofuException e) {
            throw new IOException("call: " + e.getMessage(), e);
        }
    }
}
