OPENQASM 2.0;
include "qelib1.inc";
// an ancilla measured mid-circuit, reset and reused (syndrome extraction)
qreg d[2];
qreg a[1];
creg syn[2];
creg out[2];
h d[0];
cx d[0],d[1];
cx d[0],a[0];
cx d[1],a[0];
measure a[0] -> syn[0];
reset a[0];
h d[0];
h d[1];
cx d[0],a[0];
cx d[1],a[0];
measure a[0] -> syn[1];
measure d -> out;
