package dev.tofu.lease;

import dev.tofu.AllocationStrategy;
import dev.tofu.Message;
import dev.tofu.internal.message.MessageAccess;
import dev.tofu.internal.message.MessagePool;
import dev.tofu.internal.message.MessageStore;
import dev.tofu.internal.message.Owner;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * API.md "Ownership rules" as a property: random sequences of get, post, put, close, waitReceive
 * and reuse-for-reply, aimed at live and stale references alike. The engine's data path is modelled
 * the way it recycles storage, which is what made stale references dangerous: a posted message's
 * storage is written, recycled to the pool by the writer, and the reader takes storage from the
 * same pool for the next frame it hands to the application.
 *
 * <p>After every step: every live reference still holds exactly what its holder put there (no stale
 * reference changed it), no two live references share storage, every live reference's storage is
 * owned by the application (so the pool does not hold it too), and the pool's accounting adds up
 * (nothing handed out twice, nothing lost).
 */
class LeasePropertiesTest {
    private static final MessageAccess ACCESS = MessageAccess.get();

    /** The model: what each reference is and, while live, the body its holder expects. */
    private static final class Model {
        final MessagePool pool = new MessagePool(2, 4);
        final List<Message> refs = new ArrayList<>();          // every reference ever handed out
        final Map<Message, Integer> live = new IdentityHashMap<>(); // live reference -> expected body
        final ArrayDeque<Integer> wire = new ArrayDeque<>();   // bodies of posted messages in flight
        final ArrayDeque<MessageStore> inbox = new ArrayDeque<>(); // frames read, not yet received
        final ArrayDeque<Integer> inboxBodies = new ArrayDeque<>();
        int nextBody = 1;

        Message pick(int i) {
            return refs.isEmpty() ? null : refs.get(i % refs.size());
        }

        void lease(MessageStore s, int body) {
            Message m = ACCESS.lease(s);
            refs.add(m);
            live.put(m, body);
        }

        void get(boolean always) {
            MessageStore s = pool.get(always ? AllocationStrategy.ALWAYS : AllocationStrategy.POOL_ONLY);
            if (s == null) {
                return;
            }
            int body = nextBody++;
            lease(s, body);
            Message m = refs.get(refs.size() - 1);
            assertEquals(0, m.body().length(), "get hands out cleared storage");
            write(m, body);
        }

        void post(Message m) {
            if (m == null) {
                return;
            }
            Integer body = live.get(m);
            MessageStore s = ACCESS.release(m);          // what Group.post does first
            if (body == null) {
                assertNull(s, "a stale reference can never be posted");
                assertThrows(IllegalStateException.class, m::opCode, "a stale reference reveals nothing");
                return;
            }
            live.remove(m);
            s.setOwner(Owner.ENGINE);
            assertEquals(body, read(s), "the posted storage holds what its holder wrote");
            wire.add(body);
            pool.recycle(s);                               // the writer sent it and recycled it
        }

        void deliver() {
            Integer body = wire.poll();
            if (body == null) {
                return;
            }
            MessageStore s = pool.tryTakeForEngine();      // the reader takes storage for the frame
            if (s == null) {
                s = pool.create(Owner.ENGINE);
            }
            s.body().append(ByteBuffer.allocate(4).putInt(0, body));
            inbox.add(s);
            inboxBodies.add(body);
        }

        void waitReceive() {
            MessageStore s = inbox.poll();
            if (s != null) {
                lease(s, inboxBodies.poll());
            }
        }

        void reuseForReply(Message m) {
            if (m == null || !live.containsKey(m)) {
                if (m != null) {
                    assertThrows(IllegalStateException.class, () -> m.body().clear(), "a stale reference cannot be reused");
                }
                return;
            }
            int body = nextBody++;
            m.body().clear();
            write(m, body);
            live.put(m, body);
            post(m);
        }

        void put(Message m) {
            if (m != null) {
                live.remove(m);
                pool.put(ACCESS.release(m));               // Ampe.put
            }
        }

        void close(Message m) {
            if (m != null) {
                live.remove(m);
                m.close();
            }
        }

        void readStale(Message m) {
            if (m == null || live.containsKey(m)) {
                return;
            }
            assertFalse(m.isLive());
            assertEquals("Message[released]", m.toString(), "a stale reference says released");
            assertThrows(IllegalStateException.class, () -> m.body().length());
            assertThrows(IllegalStateException.class, () -> m.headers().get("x"));
            assertThrows(IllegalStateException.class, m::messageId);
        }

        void checkInvariants() {
            Map<MessageStore, Message> holders = new IdentityHashMap<>();
            for (Map.Entry<Message, Integer> e : live.entrySet()) {
                Message m = e.getKey();
                assertTrue(m.isLive(), "a reference the model holds live is live");
                MessageStore s = ACCESS.store(m);
                Message other = holders.put(s, m);
                if (other != null) {
                    fail("one storage behind two live references: " + m + " and " + other);
                }
                assertEquals(Owner.APPLICATION, s.owner(), "a live reference's storage is the application's, not the pool's");
                assertEquals(e.getValue(), read(s), "no stale reference changed a live message");
            }
            for (Message m : refs) {
                assertEquals(live.containsKey(m), m.isLive(), "exactly the model's live references are live");
            }
            long inUse = live.size() + inbox.size();
            assertEquals(inUse, pool.outstanding(), "pool accounting: what is out is exactly what is in use");
        }

        private static void write(Message m, int body) {
            m.body().append(ByteBuffer.allocate(4).putInt(0, body));
        }

        private static Integer read(MessageStore s) {
            return s.body().length() == 4 ? ByteBuffer.wrap(s.body().array(), 0, 4).getInt() : -s.body().length();
        }
    }

    @Property(tries = 300)
    void aStaleReferenceNeverChangesOrRevealsALiveMessage(
            @ForAll @Size(max = 80) List<@IntRange(min = 0, max = 8) Integer> ops,
            @ForAll @Size(min = 80, max = 80) List<@IntRange(min = 0, max = 1000) Integer> picks) {
        Model model = new Model();
        for (int k = 0; k < ops.size(); k++) {
            int pick = picks.get(k);
            switch (ops.get(k)) {
                case 0 -> model.get(true);
                case 1 -> model.get(false);
                case 2 -> model.post(model.pick(pick));
                case 3 -> model.put(model.pick(pick));
                case 4 -> model.close(model.pick(pick));
                case 5 -> model.deliver();
                case 6 -> model.waitReceive();
                case 7 -> model.reuseForReply(model.pick(pick));
                default -> model.readStale(model.pick(pick));
            }
            model.checkInvariants();
        }
    }
}
