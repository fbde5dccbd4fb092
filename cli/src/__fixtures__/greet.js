module.exports = async () => ({ status: 200, body: "hello v1\n" });
