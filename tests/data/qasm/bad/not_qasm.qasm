this is not a circuit
