OPENQASM 3.0;
include "stdgates.inc";
// teleportation with if/else blocks (OpenQASM 3)
qubit[3] q;
bit[2] m;
bit result;
rx(0.3) q[0];
h q[1];
cx q[1], q[2];
cx q[0], q[1];
h q[0];
m[0] = measure q[0];
m[1] = measure q[1];
if (m[1]) { x q[2]; } else { id q[2]; }
if (m[0]) { z q[2]; }
result = measure q[2];
