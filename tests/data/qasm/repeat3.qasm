OPENQASM 3.0;
include "stdgates.inc";
// a bounded loop: three rounds of an entangling layer
qubit[3] q;
bit[3] c;
h q[0];
for int i in [0:2] {
  cx q[0], q[1];
  cx q[1], q[2];
  rz(0.1) q[2];
}
c = measure q;
