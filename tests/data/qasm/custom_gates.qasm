OPENQASM 2.0;
include "qelib1.inc";
// user-defined gates, parametrised and nested
gate majority a,b,c { cx c,b; cx c,a; ccx a,b,c; }
gate unmaj a,b,c { ccx a,b,c; cx c,a; cx a,b; }
gate rot(theta, phi) q { rz(phi) q; ry(theta) q; rz(-phi) q; }
gate entangle(t) a,b { rot(t, pi/4) a; cx a,b; rot(t/2, 0) b; }
qreg q[4];
creg c[4];
rot(pi/3, pi/5) q[0];
majority q[0],q[1],q[2];
entangle(0.25) q[2],q[3];
unmaj q[0],q[1],q[2];
measure q -> c;
