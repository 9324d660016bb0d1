#!/usr/bin/env bash
# Two hosts on one machine, for MPI across a network: two network namespaces
# joined by a virtual Ethernet pair, each with an address of its own and a
# host name of its own, and the Open MPI settings that launch ranks on the
# other one without an ssh server.
#
#   crates/parlab-mpi/two-hosts.sh COMMAND [ARGS...]
#
# runs COMMAND on the first host, with
#   PARLAB_HOSTFILE            a hostfile naming the two hosts, one slot each
#   OMPI_MCA_plm_rsh_agent     the agent through which mpirun starts a rank on
#                              the second host (it enters that namespace: the
#                              "remote shell" of this simulated network)
# so that `mpirun --hostfile "$PARLAB_HOSTFILE" -np 2 PROGRAM` puts rank 0 on
# the first host and rank 1 on the second, talking over TCP. Everything it
# makes (namespaces, links, files) it removes when COMMAND ends, or when it is
# interrupted. Needs root (namespaces) and iproute2 (`ip`).
#
# On a real cluster there is nothing to simulate: list the machines in a
# hostfile, make sure ssh reaches each without a password, and run mpirun
# with `--hostfile FILE` (see chapter 13).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi
if [ "$(id -u)" != 0 ]; then
    echo "two-hosts.sh: needs root, to make network namespaces" >&2
    exit 77
fi
if ! command -v ip >/dev/null || ! command -v unshare >/dev/null; then
    echo "two-hosts.sh: needs iproute2 (ip) and util-linux (unshare): apt-get install iproute2 util-linux" >&2
    exit 77
fi

# Names of this run's own, so that two runs at once do not meet.
tag="pl$$"
ns_a="${tag}a"
ns_b="${tag}b"
net="10.$((100 + $$ % 100)).$(($$ / 100 % 250)).0"
prefix="${net%.0}"
addr_a="${prefix}.1"
addr_b="${prefix}.2"
dir=$(mktemp -d "${TMPDIR:-/tmp}/parlab-two-hosts.XXXXXX")

cleanup() {
    ip netns del "$ns_a" 2>/dev/null || true
    ip netns del "$ns_b" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add "${tag}va" type veth peer name "${tag}vb"
ip link set "${tag}va" netns "$ns_a"
ip link set "${tag}vb" netns "$ns_b"
ip -n "$ns_a" addr add "$addr_a/24" dev "${tag}va"
ip -n "$ns_b" addr add "$addr_b/24" dev "${tag}vb"
for ns in "$ns_a" "$ns_b"; do
    ip -n "$ns" link set lo up
done
ip -n "$ns_a" link set "${tag}va" up
ip -n "$ns_b" link set "${tag}vb" up

printf '%s slots=1\n%s slots=1\n' "$addr_a" "$addr_b" >"$dir/hostfile"

# Open MPI's rsh agent: called as `agent HOST COMMAND...`, it runs COMMAND
# on HOST. Here HOST is a namespace of this machine; on a cluster it is ssh.
cat >"$dir/agent" <<EOF
#!/bin/sh
host=\$1; shift
case "\$host" in
    $addr_a|host-a) ns=$ns_a; name=host-a ;;
    $addr_b|host-b) ns=$ns_b; name=host-b ;;
    *) echo "two-hosts agent: no host \$host here" >&2; exit 1 ;;
esac
# The second host's monotonic clock reads an hour ahead (a time namespace),
# as another machine's would: its own boot, not this one's.
case "\$name" in
    host-b) exec ip netns exec "\$ns" unshare --uts --time --monotonic 3600 --fork sh -c "hostname \$name; \$*" ;;
    *) exec ip netns exec "\$ns" unshare --uts sh -c "hostname \$name; \$*" ;;
esac
EOF
chmod +x "$dir/agent"

export PARLAB_HOSTFILE="$dir/hostfile"
export OMPI_MCA_plm_rsh_agent="$dir/agent"
export PARLAB_TWO_HOSTS="$addr_a $addr_b"
# The command runs on the first host, under its own host name. Not with
# exec, so that the cleanup above runs when it ends; and waited for in the
# background, as bash runs a trap only once a command in the foreground
# has ended: interrupted, the command is stopped, then everything removed.
ip netns exec "$ns_a" unshare --uts sh -c 'hostname host-a; exec "$@"' sh "$@" <&0 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 130' INT
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
status=0
wait "$child" || status=$?
exit "$status"
