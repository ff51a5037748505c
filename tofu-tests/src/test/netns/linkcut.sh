#!/usr/bin/env bash
# Two network namespaces joined by a veth pair, for tests that must lose packets (LinkCutTest).
#
#   linkcut.sh check          exit 0 if we are root and `ip netns` works (creates and deletes a probe)
#   linkcut.sh up NAME [PID]  namespaces NAME-a and NAME-b, veth "tofu0" in each, 10.211.0.1/30 (a)
#                             and 10.211.0.2/30 (b), lo up in both, TCP buffer limits at the Linux
#                             defaults (send at most 4 MB); replaces a previous NAME. With
#                             PID, a detached guard deletes them once process PID has ended (even
#                             if it was SIGKILLed) and ends itself once they are gone
#   linkcut.sh cut NAME       sets a's end of the link down (b sees no carrier): packets are dropped
#   linkcut.sh restore NAME   sets it up again (routes come back with it)
#   linkcut.sh settled NAME   exit 0 if no established TCP socket in either namespace has bytes
#                             waiting for an acknowledgement (Send-Q 0): a cut now hits a quiet
#                             connection, the case TCP keepalive is for
#   linkcut.sh down NAME      deletes both namespaces (and with them the veth pair); idempotent
#   linkcut.sh sweep PREFIX   deletes PREFIX<pid>-a/-b namespaces whose <pid> no longer runs
#                             (left by a test JVM that was killed)
#
# The veth pair is created directly inside the two namespaces, so no interface ever appears in the
# initial namespace: deleting the namespaces leaves nothing behind, whenever the script is stopped.
set -euo pipefail

IF=tofu0
ADDR_A=10.211.0.1
ADDR_B=10.211.0.2

die() { echo "linkcut.sh: $*" >&2; exit 2; }

have_ns() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }

del_ns() {
  if have_ns "$1"; then
    ip netns del "$1" 2>/dev/null || true
  fi
  # `ip netns del` may lose a race with a namespace still being torn down; tolerate a missing one
  ! have_ns "$1" || die "namespace $1 could not be deleted"
}

name_arg() {
  [[ $# -ge 1 && "$1" =~ ^[A-Za-z0-9_.-]{1,40}$ ]] || die "usage: $0 $CMD NAME (letters, digits, . _ -)"
}

CMD=${1:-}
shift || true
case "$CMD" in
  check)
    [[ $(id -u) -eq 0 ]] || die "not root"
    command -v ip >/dev/null || die "no ip (iproute2)"
    probe="tofu-lc-$$-probe" # swept like a test's namespaces if this script is killed here
    ip netns add "$probe" || die "ip netns add failed"
    ip netns exec "$probe" ip link set lo up || { del_ns "$probe"; die "ip netns exec failed"; }
    del_ns "$probe"
    ;;
  up)
    name_arg "$@"
    a="$1-a"; b="$1-b"
    del_ns "$a"; del_ns "$b"
    trap 'del_ns "$a"; del_ns "$b"' ERR
    ip netns add "$a"
    ip netns add "$b"
    ip link add "$IF" netns "$a" type veth peer name "$IF" netns "$b"
    ip -n "$a" addr add "$ADDR_A/30" dev "$IF"
    ip -n "$b" addr add "$ADDR_B/30" dev "$IF"
    for ns in "$a" "$b"; do
      # pin the socket buffer limits (Linux defaults) so what a cut can strand does not depend on the host
      ip netns exec "$ns" sh -c 'echo "4096 16384 4194304" > /proc/sys/net/ipv4/tcp_wmem; echo "4096 131072 6291456" > /proc/sys/net/ipv4/tcp_rmem'
      ip -n "$ns" link set lo up
      ip -n "$ns" link set "$IF" up
    done
    trap - ERR
    if [[ $# -ge 2 ]]; then
      [[ "$2" =~ ^[0-9]+$ ]] || die "PID must be a number"
      setsid bash "${BASH_SOURCE[0]}" guard "$1" "$2" </dev/null >/dev/null 2>&1 &
    fi
    echo "a=$a b=$b if=$IF addr_a=$ADDR_A addr_b=$ADDR_B"
    ;;
  cut)
    name_arg "$@"
    ip -n "$1-a" link set "$IF" down
    ;;
  restore)
    name_arg "$@"
    ip -n "$1-a" link set "$IF" up
    ;;
  settled)
    name_arg "$@"
    for ns in "$1-a" "$1-b"; do
      ip netns exec "$ns" ss -H -tn state established | awk '$2 != 0 { busy = 1 } END { exit busy }' || exit 1
    done
    ;;
  down)
    name_arg "$@"
    del_ns "$1-a"
    del_ns "$1-b"
    ;;
  guard)  # internal, see up
    name_arg "$@"
    while kill -0 "$2" 2>/dev/null && have_ns "$1-a"; do
      sleep 1
    done
    del_ns "$1-a"
    del_ns "$1-b"
    ;;
  sweep)
    [[ $# -ge 1 && "$1" =~ ^[A-Za-z0-9_.-]{1,30}$ ]] || die "usage: $0 sweep PREFIX"
    prefix="$1"
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
      [[ "$ns" == "$prefix"* ]] || continue
      rest=${ns#"$prefix"}
      pid=${rest%%-*}
      [[ "$pid" =~ ^[0-9]+$ ]] || continue
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "sweeping stale namespace $ns"
        del_ns "$ns"
      fi
    done
    ;;
  *)
    die "usage: $0 check | up NAME | cut NAME | restore NAME | settled NAME | down NAME | sweep PREFIX"
    ;;
esac
