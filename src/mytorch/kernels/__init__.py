"""Pure NumPy kernels: no autograd here, only arrays in and arrays out."""
