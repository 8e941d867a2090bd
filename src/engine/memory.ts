// Memory held flat through the engine's long loops (pass 1, pass 2, loading the known users).

/**
 * Past this, collect in full. One budget for every loop of the process: the live set (the
 * known-users map above all) outlives each loop, and a budget that started afresh in each loop
 * collected in full at nearly every batch of pass 2 after a day-2 read of a million users
 * (measured: 4–6 collections of 80–120 ms each, with the map still live).
 */
let budget = 0;

/**
 * Bun's collector lets garbage pile up while a million records stream through — peak RSS went
 * past 680 MB for work whose live data (the known-users map, one batch) is a fraction of that.
 * Past a budget, collect in full; if little comes back, the live set really is that big, and the
 * budget grows rather than collecting again and again.
 */
export function memoryKeeper(budgetMB = Number(process.env.USERSYNC_MEMORY_BUDGET_MB) || 300): () => void {
  budget = Math.max(budget, budgetMB * 1024 * 1024);
  return () => {
    if (process.memoryUsage.rss() < budget) return;
    Bun.gc(true);
    const after = process.memoryUsage.rss();
    if (after > budget * 0.8) budget = after * 1.25;
  };
}
