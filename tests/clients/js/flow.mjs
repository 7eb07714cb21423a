// @polkadot/api against a node (argv[2]: ws url) as a user would use it: one JSON line per step
// ({step, ok, ms, ...values} or {step, ok: false, error}), asserted by tests/clients/test_polkadot_js.py.
// Steps: connect (runtime version, metadata, properties, header digest), account (the first query:
// coldStartMs = connect + metadata + first query), header_hash (the hash polkadot-js computes for a
// header equals the node's), payment_info, transfer (isInBlock, isFinalized, events, balances),
// failed_call (api.registry.findMetaError names the error), new_heads (subscribeNewHeads).
// `--cold` (argv[3]): connect and account only (benchmarks/bench_client_cold_start.py).
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';

const url = process.argv[2];
const COLD = process.argv.slice(3).includes('--cold');
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const BOB = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const AMOUNT = 1234567890n; // rao, as flow_steps.AMOUNT
const TOO_MUCH = 10n ** 18n; // more than any dev account holds
const ctx = {};

async function step(name, fn, timeoutMs = 30000) {
  const t0 = performance.now();
  let out;
  let timer;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`step '${name}' took more than ${timeoutMs / 1000} s`)), timeoutMs);
    });
    out = { ok: true, ...((await Promise.race([fn(), timeout])) ?? {}) };
  } catch (e) {
    out = { ok: false, error: `${e?.name ?? 'Error'}: ${e?.message ?? e}`.slice(0, 1500) };
  } finally {
    clearTimeout(timer);
  }
  const line = { step: name, ms: Math.round((performance.now() - t0) * 10) / 10, ...out };
  console.log(JSON.stringify(line, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
  return line;
}

const freeOf = (acct) => {
  const j = acct.toJSON();
  return BigInt((j.data ?? j).free);
};

function eventsOf(records) {
  return records.map(({ event }) => ({ section: event.section, method: event.method, data: event.data.toJSON(),
    names: event.data.names ?? null }));
}

// signAndSend until isFinalized (or an error); the statuses seen on the way
function send(tx, signer) {
  return new Promise((resolve, reject) => {
    const statuses = [];
    const out = { statuses };
    tx.signAndSend(signer, (result) => {
      const { status } = result;
      statuses.push(status.type);
      if (status.isInBlock) {
        out.inBlock = status.asInBlock.toHex();
        out.events = eventsOf(result.events);
        out.dispatchError = result.dispatchError ? result.dispatchError.toJSON() : null;
        if (result.dispatchError?.isModule) {
          const m = api.registry.findMetaError(result.dispatchError.asModule);
          out.metaError = { section: m.section, name: m.name, docs: m.docs.join(' ') };
        }
      }
      if (status.isFinalized) { out.finalized = status.asFinalized.toHex(); resolve(out); }
      if (status.isDropped || status.isInvalid || status.isUsurped) reject(new Error(`extrinsic ${status.type}`));
    }).catch(reject);
  });
}

let api;
await step('connect', async () => {
  const t0 = performance.now();
  api = await ApiPromise.create({ provider: new WsProvider(url), throwOnConnect: true, noInitWarn: true });
  ctx.connectMs = performance.now() - t0;
  ctx.alice = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Alice');
  const header = await api.rpc.chain.getHeader();
  return {
    connectMs: Math.round(ctx.connectMs),
    chain: (await api.rpc.system.chain()).toString(),
    specName: api.runtimeVersion.specName.toString(),
    specVersion: api.runtimeVersion.specVersion.toNumber(),
    metadataVersion: api.runtimeMetadata.version,
    pallets: api.runtimeMetadata.asLatest.pallets.map((p) => [p.name.toString(), p.index.toNumber()]),
    properties: api.registry.getChainProperties().toJSON(),
    genesisHash: api.genesisHash.toHex(),
    headerNumber: header.number.toNumber(),
    headerLogs: header.digest.logs.map((l) => l.type),
    balancesCalls: Object.keys(api.tx.balances),
    aliceAddress: ctx.alice.address,
  };
}, 60000);

if (api) {
  await step('account', async () => {
    const t0 = performance.now();
    const acct = await api.query.system.account(ALICE);
    return { value: acct.toJSON(), free: freeOf(acct), coldStartMs: Math.round(ctx.connectMs + performance.now() - t0) };
  });

  if (COLD) { await api.disconnect(); process.exit(0); }

  await step('header_hash', async () => {
    const header = await api.rpc.chain.getHeader();
    const nodeHash = (await api.rpc.chain.getBlockHash(header.number.toNumber())).toHex();
    return { number: header.number.toNumber(), computed: header.hash.toHex(), node: nodeHash };
  });

  await step('payment_info', async () => {
    const info = await api.tx.balances.transferKeepAlive(BOB, AMOUNT).paymentInfo(ctx.alice);
    return { partialFee: info.partialFee.toBigInt(), weight: info.weight.toJSON(), class: info.class.toString() };
  });

  await step('transfer', async () => {
    const before = [freeOf(await api.query.system.account(ALICE)), freeOf(await api.query.system.account(BOB))];
    const out = await send(api.tx.balances.transferKeepAlive(BOB, AMOUNT), ctx.alice);
    const at = await api.at(out.inBlock);
    const after = [freeOf(await at.query.system.account(ALICE)), freeOf(await at.query.system.account(BOB))];
    return { ...out, aliceBefore: before[0], aliceAfter: after[0], bobBefore: before[1], bobAfter: after[1] };
  }, 60000);

  await step('failed_call', async () => send(api.tx.balances.transferKeepAlive(BOB, TOO_MUCH), ctx.alice), 60000);

  await step('new_heads', async () => {
    const heads = [];
    await new Promise((resolve, reject) => {
      api.rpc.chain.subscribeNewHeads((h) => {
        heads.push({ number: h.number.toNumber(), computed: h.hash.toHex() });
        if (heads.length === 3) resolve();
      }).then((unsub) => { ctx.unsubHeads = unsub; }).catch(reject);
    });
    ctx.unsubHeads?.();
    for (const h of heads) h.node = (await api.rpc.chain.getBlockHash(h.number)).toHex();
    return { heads };
  });

  await api.disconnect();
}
process.exit(0);
