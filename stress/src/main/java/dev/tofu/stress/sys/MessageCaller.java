package dev.tofu.stress.sys;

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
 * and handed to {@code call}. The pingpong path copies the response straight into the reply.
 *
 * @param newMessage gives a request message (a new lease)
 * @param call       sends it and returns the response (a new lease) or throws
 */
record MessageCaller(Supplier<Message> newMessage, BiFunction<Message, Duration, Message> call)
        implements CallingConnection.Caller {

    @Override
    public byte[] call(byte[] request, long timeoutNanos) throws IOException {
        try (Message m = newMessage.get()) {
            m.body().append(request);
            try (Message r = call.apply(m, Duration.ofNanos(timeoutNanos))) {
                return r.body().toByteArray();
            }
        } catch (TofuTimeoutException e) {
            return null;
        } catch (TofuException e) {
            throw new IOException("call: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean callInto(byte[] request, long timeoutNanos, Reply reply) throws IOException {
        try (Message m = newMessage.get()) {
            m.body().append(request);
            try (Message r = call.apply(m, Duration.ofNanos(timeoutNanos))) {
                int n = r.body().length();
                r.body().asReadOnlyBuffer().get(reply.room(n), 0, n);
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
