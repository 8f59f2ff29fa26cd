/**
 * @peculiar/x509 for the tests: an X.509 reader independent of the models' encoder, to check what they issue.
 * Its DI container (tsyringe) needs the Reflect metadata API, so `reflect-metadata` loads first.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// Library boundary: @peculiar/x509 types its provider as the DOM `Crypto`, which node's webcrypto implements.
x509.cryptoProvider.set(webcrypto as unknown as ReturnType<x509.CryptoProvider["get"]>);

export { x509 };
