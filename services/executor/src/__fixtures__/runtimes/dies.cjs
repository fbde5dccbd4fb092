console.error("boom: cannot start");
process.exit(3);
