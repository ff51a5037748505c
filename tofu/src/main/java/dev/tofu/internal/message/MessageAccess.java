package dev.tofu.internal.message;

import dev.tofu.Message;

/**
 * The engine's privileged view of {@link Message}, the application's handle on a
 * {@link MessageStore}: it makes a handle for a new lease, ends a lease, and reads the store behind
 * a live handle.
 *
 * <p>A handle is valid for one lease: from the call that handed the store to the application
 * ({@code get}, {@code waitReceive}, a client's {@code call}) until the application hands it on
 * ({@code post}, {@code updateReceiver}, {@code put}, {@code close()}). Ending the lease clears the
 * handle's store reference atomically, so exactly one of several racing hand-overs gets the store,
 * and a handle whose lease ended never reaches the store again, whoever holds it next.
 *
 * <p>{@code Message} installs the one implementation from its static initialiser; internal code
 * calls {@link #get()}. Every method may be called from any thread; the store it returns belongs to
 * the caller only as the ownership rules say.
 */
public abstract class MessageAccess {
    private static volatile MessageAccess instance;

    /** Called once by {@code Message}'s static initialiser. */
    public static void install(MessageAccess access) {
        if (instance != null) {
            throw new IllegalStateException("MessageAccess already installed");
        }
        instance = access;
    }

    /** Returns the installed access, initialising {@code Message} if that has not happened yet. */
    public static MessageAccess get() {
        MessageAccess a = instance;
        if (a == null) {
            try {
                Class.forName(Message.class.getName(), true, Message.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = instance;
        }
        return a;
    }

    /**
     * Starts a lease: marks {@code store} as owned by the application and returns a new handle on it.
     * The caller must hold the store and hand it over with this call.
     */
    public abstract Message lease(MessageStore store);

    /**
     * Ends the lease of {@code handle} and returns its store, still marked as owned by the
     * application (the caller moves it on); {@code null} if the lease had already ended.
     */
    public abstract MessageStore release(Message handle);

    /**
     * Gives a store back to the handle whose lease {@link #release} ended, when the hand-over failed
     * and nothing took the store (a {@code post} that threw): the caller still owns the message.
     */
    public abstract void restore(Message handle, MessageStore store);

    /**
     * Returns the store behind a live handle, for reading or preparing it before a hand-over.
     *
     * @throws IllegalStateException if the handle's lease has ended
     */
    public abstract MessageStore store(Message handle);

    /**
     * Returns a throw-away handle for reading or changing a store the caller holds through the public
     * API, without starting a lease (the store's owner stays as it is). Such a handle must never reach
     * the application: it is for the engine's own parsing (an address header) and for tests.
     */
    public abstract Message view(MessageStore store);
}
