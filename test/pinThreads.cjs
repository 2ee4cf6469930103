// The tests run the WASM backend single-threaded (the same numbers on every machine, no 'auto'
// probe) unless a test asks for threads itself; child processes inherit this.
if (!process.env.DEN_LAB_WASM_THREADS) process.env.DEN_LAB_WASM_THREADS = '1';
