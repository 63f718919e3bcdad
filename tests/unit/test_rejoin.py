# SPDX-License-Identifier: GPL-2.0
"""tools/nvme-mptcp-rejoin against stand-ins for ip, ss and ping.

The stand-ins print what the real tools print (lines taken from a 6.12
guest) and log every call, so each test reads which endpoints the tool
deleted and added again, and in what words.
"""

import os
import stat
import subprocess
import tempfile
import time
import unittest

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "..", "..", "tools", "nvme-mptcp-rejoin")

CONN = ("0      0      10.10.1.2:{port} 10.10.1.1:4420 subflows:3 subflows_max:8 "
        "add_addr_accepted_max:8 remote_key token:{token} write_seq:3baa891fe918c4d8 "
        "snd_una:3baa891fe918c4d8 rcv_nxt:f019f805778c14d2")
SUBFLOW = ("0      0      {src}:{port} 10.10.1.1:4420 bbr wscale:10,10 rto:204 "
           "rtt:0.026/0.011 mss:1448 tcp-ulp-mptcp flags:Jjec "
           "token:d273fd01(id:0)/{token}(id:{id}) seq:f019f805778c14d2 sfseq:0 "
           "ssnoff:3c42a6e6 maplen:0")
ENDPOINTS = ("10.10.2.2 id 2 subflow dev h2 \n"
             "10.10.3.2 id 3 subflow backup dev h3 \n"
             "10.10.4.1 id 4 signal dev h4 \n")

STUB_IP = r"""#!/bin/bash
echo "ip $*" >>"$STUB/calls"
case "$*" in
"mptcp endpoint show") cat "$STUB/endpoints" ;;
"-o link show dev "*) grep -q "^${5}$" "$STUB/down" 2>/dev/null &&
	echo "5: $5: <BROADCAST,MULTICAST> mtu 1500 state DOWN" ||
	echo "5: $5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP" ;;
"-o addr show dev "*) n=${5#h}
	echo "5: $5    inet 10.10.$n.2/24 brd 10.10.$n.255 scope global $5"
	echo "5: $5    inet6 fe80::1:$n/64 scope link" ;;
"mptcp endpoint delete id "*) ;;
"mptcp endpoint add "*)
	if [[ -s $STUB/add-fails ]]; then
		n=$(cat "$STUB/add-fails"); echo $((n - 1)) >"$STUB/add-fails"
		if ((n > 0)); then echo "Error: refused" >&2; exit 1; fi
	fi ;;
*) echo "stub ip: unexpected: $*" >&2; exit 1 ;;
esac
"""
# Two states asked for: ss prints a State column.
STUB_SS = r"""#!/bin/bash
echo "ss $*" >>"$STUB/calls"
case "$*" in
"-HMniO state established") cat "$STUB/conns" ;;
"-HMlnO") cat "$STUB/listeners" 2>/dev/null || true ;;
"-HtniO state established state syn-sent")
	sed 's/^/ESTAB /' "$STUB/subflows"
	sed 's/^/SYN-SENT /' "$STUB/joining" 2>/dev/null || true ;;
*) echo "stub ss: unexpected: $*" >&2; exit 1 ;;
esac
"""
STUB_PING = r"""#!/bin/bash
echo "ping $*" >>"$STUB/calls"
[[ ! -e $STUB/no-answer ]]
"""
STUB_SYSCTL = r"""#!/bin/bash
case "$*" in
"-n net.mptcp.path_manager") cat "$STUB/path_manager" 2>/dev/null || echo kernel ;;
"-n net.mptcp.pm_type") echo 0 ;;
*) exit 1 ;;
esac
"""


class Rejoin(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.stub = self.dir.name
        for name, text in (("ip", STUB_IP), ("ss", STUB_SS), ("ping", STUB_PING),
                           ("sysctl", STUB_SYSCTL)):
            path = os.path.join(self.stub, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, stat.S_IRWXU)
        self.write("endpoints", ENDPOINTS)
        self.write("calls", "")

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, text):
        with open(os.path.join(self.stub, name), "w") as f:
            f.write(text)

    def state(self, conns, subflows, joining=()):
        """conns: tokens; subflows, joining: (token, endpoint id) pairs."""
        self.write("conns", "".join(CONN.format(port=40000 + i, token=t) + "\n"
                                    for i, t in enumerate(conns)))
        for name, pairs in (("subflows", subflows), ("joining", joining)):
            self.write(name, "".join(
                SUBFLOW.format(src=f"10.10.{i}.2%h{i}", port=50000 + n, token=t, id=i) + "\n"
                for n, (t, i) in enumerate(pairs)))

    def env(self):
        return dict(os.environ, STUB=self.stub, PATH=self.stub + ":" + os.environ["PATH"])

    def stub_sleep(self, text):
        """Replace the tool's sleep between passes with TEXT (a script)."""
        path = os.path.join(self.stub, "sleep")
        with open(path, "w") as f:
            f.write("#!/bin/bash\n" + text)
        os.chmod(path, stat.S_IRWXU)

    def run_loop(self, seconds):
        """The tool with -i 1 for SECONDS, then SIGTERM: its output."""
        proc = subprocess.Popen(["bash", TOOL, "-i", "1"], env=self.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(seconds)
        proc.terminate()
        out, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        return out

    def run_tool(self, *args, timeout=10, rc=0):
        res = subprocess.run(["bash", TOOL, *args], env=self.env(), capture_output=True,
                             text=True, timeout=timeout)
        self.assertEqual(res.returncode, rc, res.stderr)
        with open(os.path.join(self.stub, "calls")) as f:
            calls = [c for c in f.read().splitlines() if " endpoint delete" in c
                     or " endpoint add" in c or c.startswith("ping")]
        return res, calls

    def test_nothing_to_do_when_every_connection_has_its_subflows(self):
        self.state(["aaaa0001", "aaaa0002"],
                   [("aaaa0001", 2), ("aaaa0001", 3), ("aaaa0002", 2), ("aaaa0002", 3)])
        res, calls = self.run_tool("-1")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(calls, [])
        self.assertEqual(res.stdout, "")

    def test_readds_the_endpoint_a_connection_lost_as_it_was(self):
        self.state(["aaaa0001", "aaaa0002"],
                   [("aaaa0001", 2), ("aaaa0001", 3), ("aaaa0002", 3)])
        res, calls = self.run_tool("-1")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(calls, ["ping -c 1 -W 1 -I h2 10.10.1.1",
                                 "ip mptcp endpoint delete id 2",
                                 "ip mptcp endpoint add 10.10.2.2 id 2 subflow dev h2"])
        self.assertIn("endpoint 2 (10.10.2.2 dev h2): 1 of 2 connections", res.stdout)

    def test_keeps_flags_such_as_backup(self):
        self.state(["aaaa0001"], [("aaaa0001", 2)])
        res, calls = self.run_tool("-1")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("ip mptcp endpoint add 10.10.3.2 id 3 subflow backup dev h3", calls)
        self.assertNotIn("ip mptcp endpoint delete id 2", calls)

    def test_a_connection_being_joined_counts_as_having_it(self):
        self.state(["aaaa0001"], [("aaaa0001", 3)], joining=[("aaaa0001", 2)])
        _, calls = self.run_tool("-1")
        self.assertEqual(calls, [])

    def test_the_first_subflow_from_the_endpoint_address_counts(self):
        # The initial subflow's local id is 0 whatever endpoint it is on.
        self.write("endpoints", "10.10.2.2 id 2 subflow dev h2 \n")
        self.write("subflows", SUBFLOW.format(src="10.10.2.2", port=1, token="aaaa0001",
                                              id=0) + "\n")
        self.write("conns", CONN.format(port=1, token="aaaa0001") + "\n")
        _, calls = self.run_tool("-1")
        self.assertEqual(calls, [])

    def test_a_v4_mapped_first_subflow_counts(self):
        # An AF_INET6 socket to an IPv4 peer: its first subflow's address.
        self.write("endpoints", "10.10.2.2 id 2 subflow dev h2 \n")
        self.write("conns", CONN.format(port=1, token="aaaa0001") + "\n")
        self.write("subflows", SUBFLOW.format(src="[::ffff:10.10.2.2]", port=1,
                                              token="aaaa0001", id=0) + "\n")
        _, calls = self.run_tool("-1")
        self.assertEqual(calls, [])

    def test_a_connection_at_its_subflow_limit_does_not_count(self):
        self.write("endpoints", "10.10.2.2 id 2 subflow dev h2 \n")
        self.write("conns", CONN.format(port=1, token="aaaa0001")
                   .replace("subflows:3 subflows_max:8", "subflows:2 subflows_max:2") + "\n")
        self.write("subflows", "")
        _, calls = self.run_tool("-1")
        self.assertEqual(calls, [])

    def test_tokens_match_whatever_their_leading_zeros(self):
        # ss prints a connection's token %x and a subflow's %04x.
        self.write("endpoints", "10.10.2.2 id 2 subflow dev h2 \n")
        self.write("conns", CONN.format(port=1, token="abc") + "\n")
        self.write("subflows", SUBFLOW.format(src="10.10.2.2%h2", port=1, token="0abc",
                                              id=2) + "\n")
        _, calls = self.run_tool("-1")
        self.assertEqual(calls, [])

    def test_skips_fallback_passive_and_other_family_connections(self):
        self.write("endpoints", "10.10.2.2 id 2 subflow dev h2 \n")
        self.write("conns",
                   CONN.format(port=1, token="aaaa0001").replace("subflows:3", "fallback") + "\n"
                   + CONN.format(port=4420, token="aaaa0002") + "\n"
                   + "0 0 [fd00::2]:40001 [fd00::1]:4420 subflows:1 token:aaaa0003\n")
        self.write("listeners", "LISTEN 0 128 0.0.0.0:4420 0.0.0.0:*\n")
        self.write("subflows", "")
        _, calls = self.run_tool("-1")
        self.assertEqual(calls, [])

    def test_never_deletes_an_endpoint_it_could_not_add_back(self):
        self.write("endpoints", "10.10.2.2 id 2 subflow rawflags 20 dev h2 \n")
        self.state(["aaaa0001"], [])
        res, calls = self.run_tool("-1")
        self.assertEqual(calls, [])
        self.assertIn("does not know (rawflags)", res.stdout)

    def test_adds_back_on_the_next_pass_what_the_kernel_refused(self):
        self.write("add-fails", "1")
        self.state(["aaaa0001"], [("aaaa0001", 3)])
        out = self.run_loop(2.5)
        with open(os.path.join(self.stub, "calls")) as f:
            adds = [c for c in f.read().splitlines() if " endpoint add" in c]
        self.assertEqual(adds, ["ip mptcp endpoint add 10.10.2.2 id 2 subflow dev h2"] * 2, out)
        self.assertIn("could not add it back yet", out)

    def test_one_pass_adds_back_on_exit_what_the_kernel_refused(self):
        self.write("add-fails", "1")
        self.state(["aaaa0001"], [("aaaa0001", 3)])
        res, calls = self.run_tool("-1")
        self.assertEqual([c for c in calls if " endpoint add 10.10.2.2" in c],
                         ["ip mptcp endpoint add 10.10.2.2 id 2 subflow dev h2"] * 2)

    def test_names_an_endpoint_the_kernel_will_not_take_back(self):
        self.write("add-fails", "9")
        self.state(["aaaa0001"], [("aaaa0001", 3)])
        res, _ = self.run_tool("-1", rc=1)
        self.assertIn("endpoint 2 is deleted and the kernel refuses it back: "
                      "ip mptcp endpoint add 10.10.2.2 id 2 subflow dev h2", res.stdout)

    def test_in_a_loop_a_subflow_must_be_missing_twice(self):
        # -1 counts what is missing at once; the loop waits for a second
        # pass, so a join the kernel is about to make is not raced. A
        # stand-in sleep lets exactly one pass run before SIGTERM.
        self.state(["aaaa0001"], [("aaaa0001", 3)])
        self.stub_sleep("kill -TERM $PPID\n")
        res, calls = self.run_tool("-i", "1")
        self.assertEqual([c for c in calls if "endpoint" in c], [], res.stdout)

    def test_gives_up_on_a_connection_two_re_adds_did_not_help(self):
        self.state(["aaaa0001"], [("aaaa0001", 3)])
        # Passes as fast as the tool makes them; the backoff is in
        # SECONDS, which the stand-in moves on by sleeping for real.
        self.stub_sleep("n=$(cat \"$STUB/passes\" 2>/dev/null || echo 0)\n"
                        "echo $((n + 1)) >\"$STUB/passes\"\n"
                        "if ((n >= 24)); then kill -TERM $PPID; fi\n/bin/sleep 0.25\n")
        # Re-adds at about 0.25 s and 1.5 s; a third would come by 3.5 s.
        res, calls = self.run_tool("-i", "1", "-b", "1", timeout=60)
        deletes = [c for c in calls if "endpoint delete id 2" in c]
        self.assertEqual(len(deletes), 2, res.stdout)

    def test_nothing_under_the_userspace_path_manager(self):
        self.write("path_manager", "userspace")
        self.state(["aaaa0001"], [])
        _, calls = self.run_tool("-1")
        self.assertEqual(calls, [])

    def test_leaves_signal_endpoints_alone(self):
        self.write("endpoints", "10.10.4.1 id 4 signal dev h4 \n10.10.2.2 id 2 signal subflow dev h2 \n")
        self.state(["aaaa0001"], [])
        _, calls = self.run_tool("-1")
        self.assertEqual(calls, [])

    def test_waits_while_the_device_is_down(self):
        self.write("down", "h2\nh3\n")
        self.state(["aaaa0001"], [])
        _, calls = self.run_tool("-1")
        self.assertEqual(calls, [])

    def test_waits_while_the_peer_does_not_answer_on_that_path(self):
        self.write("no-answer", "")
        self.state(["aaaa0001"], [])
        _, calls = self.run_tool("-1")
        self.assertEqual([c for c in calls if not c.startswith("ping")], [])
        self.assertIn("ping -c 1 -W 1 -I h2 10.10.1.1", calls)

    def test_dry_run_changes_nothing(self):
        self.state(["aaaa0001"], [("aaaa0001", 3)])
        res, calls = self.run_tool("-n", "-1")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual([c for c in calls if not c.startswith("ping")], [])
        self.assertIn("adding it again", res.stdout)

    def test_no_connections_no_work(self):
        self.state([], [])
        res, calls = self.run_tool("-1")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(calls, [])

    def test_backs_off_when_adding_again_does_not_help(self):
        # A peer that never accepts the join: missing in two passes, one
        # attempt, then 5 s of quiet.
        self.state(["aaaa0001"], [("aaaa0001", 3)])
        out = self.run_loop(3.5)
        self.assertEqual(out.count("adding it again"), 1, out)

    def test_bad_usage(self):
        res, _ = self.run_tool("-i", "0", rc=2)
        self.assertIn("usage", res.stderr)


if __name__ == "__main__":
    unittest.main()
