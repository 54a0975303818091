OPENQASM 4.0;
qreg q[1];
