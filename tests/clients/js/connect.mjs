// Connect @polkadot/api to a node (argv[2]: ws url) as a user would, and print what it saw as JSON.
import { ApiPromise, WsProvider } from '@polkadot/api';

const url = process.argv[2];
const out = {};
const t0 = Date.now();
const api = await ApiPromise.create({ provider: new WsProvider(url), throwOnConnect: true, noInitWarn: true });
out.connectMs = Date.now() - t0;
out.chain = (await api.rpc.system.chain()).toString();
out.specName = api.runtimeVersion.specName.toString();
out.specVersion = api.runtimeVersion.specVersion.toNumber();
out.metadataVersion = api.runtimeMetadata.version;
out.pallets = api.runtimeMetadata.asLatest.pallets.map((p) => [p.name.toString(), p.index.toNumber()]);
out.properties = api.registry.getChainProperties().toJSON();
out.genesisHash = api.genesisHash.toHex();
const header = await api.rpc.chain.getHeader();
out.headerNumber = header.number.toNumber();
out.headerLogs = header.digest.logs.map((l) => l.type);
out.balancesCalls = Object.keys(api.tx.balances);
await api.disconnect();
console.log(JSON.stringify(out));
process.exit(0);
