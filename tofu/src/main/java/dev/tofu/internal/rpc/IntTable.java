package dev.tofu.internal.rpc;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A map from channel numbers (small non-negative ints) to values, held in an array indexed by the
 * number: a lookup is an array read, with no boxed key (a {@code HashMap<Integer, …>} allocates an
 * {@code Integer} per lookup of a number over 127, which a reader thread would pay per request).
 * The array grows to the highest number stored, at most 65,536 entries.
 *
 * <p>Threads: not thread-safe; its owner guards it (the server's {@code lock}).
 */
final class IntTable<V> {
    private Object[] slots = new Object[64];
    private int size;

    /** The value for {@code key}, or null. */
    @SuppressWarnings("unchecked")
    V get(int key) {
        return key >= 0 && key < slots.length ? (V) slots[key] : null;
    }

    /** The value for {@code key}, made by {@code make} and stored first if there is none. */
    V computeIfAbsent(int key, IntFunction<V> make) {
        V v = get(key);
        if (v == null) {
            v = make.apply(key);
            put(key, v);
        }
        return v;
    }

    /** Stores {@code value} (not null) for {@code key}. */
    void put(int key, V value) {
        if (key < 0) {
            throw new IllegalArgumentException("negative key " + key);
        }
        if (key >= slots.length) {
            int n = slots.length;
            while (n <= key) {
                n *= 2;
            }
            slots = java.util.Arrays.copyOf(slots, n);
        }
        if (slots[key] == null) {
            size++;
        }
        slots[key] = value;
    }

    /** Removes and returns the value for {@code key}, or null. */
    V remove(int key) {
        V v = get(key);
        if (v != null) {
            slots[key] = null;
            size--;
        }
        return v;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    void clear() {
        java.util.Arrays.fill(slots, null);
        size = 0;
    }

    /** The values, in ascending key order (a copy). */
    @SuppressWarnings("unchecked")
    List<V> values() {
        List<V> out = new ArrayList<>(size);
        for (Object o : slots) {
            if (o != null) {
                out.add((V) o);
            }
        }
        return out;
    }

    /** The keys, ascending (a copy). */
    List<Integer> keys() {
        List<Integer> out = new ArrayList<>(size);
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null) {
                out.add(i);
            }
        }
        return out;
    }
}
