package dev.tofu.internal.rpc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The calls of one client channel that wait for a response, by message id. Ids come from a
 * counter, so the calls in flight at once almost always sit in distinct slots of a small array
 * indexed by the id's low bits, and registering, finding and removing a call costs a CAS and no
 * allocation (a {@code ConcurrentHashMap<Long, …>} costs a boxed key and a node per call). A call
 * whose slot is taken by another id goes to an overflow map instead.
 *
 * <p>Threads: any thread. Invariants: no two registered calls share an id; a call is in its slot
 * or in {@code overflow}, never both. {@link #register} checks the other place after inserting, so
 * two concurrent registrations of one id (an application reusing an explicit id) cannot both
 * stay: at least one of them sees the other and withdraws.
 */
public final class PendingTable {
    private static final int SLOTS = 256; // a power of two; 1 KiB per channel
    private final AtomicReferenceArray<PendingCall> slots = new AtomicReferenceArray<>(SLOTS);
    private final ConcurrentHashMap<Long, PendingCall> overflow = new ConcurrentHashMap<>();

    private static int slot(long id) {
        return (int) id & (SLOTS - 1);
    }

    /** Registers {@code p}; false (nothing changed) if a call with its id is registered already. */
    public boolean register(PendingCall p) {
        long id = p.id();
        int i = slot(id);
        while (true) {
            PendingCall there = slots.get(i);
            if (there == null) {
                if (!slots.compareAndSet(i, null, p)) {
                    continue;
                }
                if (!overflow.isEmpty() && overflow.containsKey(id)) { // the same id went to the overflow meanwhile
                    slots.compareAndSet(i, p, null);
                    return false;
                }
                return true;
            }
            if (there.id() == id) {
                return false;
            }
            if (overflow.putIfAbsent(id, p) != null) {
                return false;
            }
            PendingCall now = slots.get(i);
            if (now != null && now != p && now.id() == id) { // the slot took the same id meanwhile
                overflow.remove(id, p);
                return false;
            }
            return true;
        }
    }

    /** The call registered for {@code id}, or null. */
    public PendingCall get(long id) {
        PendingCall p = slots.get(slot(id));
        if (p != null && p.id() == id) {
            return p;
        }
        return overflow.isEmpty() ? null : overflow.get(id);
    }

    /** Removes {@code p} if it is still registered. */
    public void remove(PendingCall p) {
        int i = slot(p.id());
        if (!slots.compareAndSet(i, p, null)) {
            overflow.remove(p.id(), p);
        }
    }

    /** Every registered call, at some moment during the call. */
    public List<PendingCall> all() {
        List<PendingCall> out = new ArrayList<>(overflow.values());
        for (int i = 0; i < SLOTS; i++) {
            PendingCall p = slots.get(i);
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }
}
