// Loaded once by a warm runtime before it is specialized (see src/prewarm.ts).
module.exports = async () => ({ status: 200, body: "" });
module.exports.named = module.exports;
