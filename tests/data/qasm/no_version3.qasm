include "stdgates.inc";
// OpenQASM 3 without a version line (the version statement is optional in OpenQASM 3)
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
