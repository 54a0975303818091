// A one-bit full adder in the style of public benchmark suites: no OPENQASM line.
include "qelib1.inc";
qreg a[1];
qreg b[1];
qreg cin[1];
qreg cout[1];
creg sum[2];
x a[0];
x b[0];
ccx a[0],b[0],cout[0];
cx a[0],b[0];
ccx b[0],cin[0],cout[0];
cx b[0],cin[0];
measure cin[0] -> sum[0];
measure cout[0] -> sum[1];
