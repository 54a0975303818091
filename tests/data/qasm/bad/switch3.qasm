OPENQASM 3.0;
include "stdgates.inc";
// a switch on a two-bit measurement result: valid OpenQASM 3 that Qiskit's importer (qiskit-qasm3-import) does not read
qubit[3] q;
bit[2] m;
bit out;
h q[0];
h q[1];
m[0] = measure q[0];
m[1] = measure q[1];
switch (m) {
  case 0 { x q[2]; }
  case 1 { h q[2]; }
  case 2 { h q[2]; s q[2]; h q[2]; }
  default { }
}
out = measure q[2];
