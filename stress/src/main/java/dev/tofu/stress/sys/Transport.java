package dev.tofu.stress.sys;

/** The stream transport a system runs over. */
public enum Transport {
    /** TCP on the loopback interface (or a remote host). */
    TCP,
    /** A Unix-domain stream socket. */
    UDS;

    /** Lower-case name for tables and files. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
