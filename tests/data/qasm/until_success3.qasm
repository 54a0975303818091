OPENQASM 3.0;
include "stdgates.inc";
// repeat until success: a while loop has no bound, so it cannot be timed
qubit[2] q;
bit c;
h q[0];
c = measure q[0];
while (c) {
  reset q[0];
  h q[0];
  c = measure q[0];
}
