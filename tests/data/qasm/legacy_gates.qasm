OPENQASM 2.0;
include "qelib1.inc";
// gates Qiskit reads only with its legacy custom instructions (u0, cu1, rccx, c3x, ...)
qreg q[5];
creg c[5];
u3(0.1,0.2,0.3) q[0];
u2(0.4,0.5) q[1];
u1(0.6) q[2];
cu1(pi/8) q[0],q[1];
cu3(0.1,0.2,0.3) q[1],q[2];
rccx q[0],q[1],q[2];
c3x q[0],q[1],q[2],q[3];
cswap q[0],q[3],q[4];
rzz(0.7) q[3],q[4];
sdg q[4];
tdg q[3];
measure q -> c;
