import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One RSA signing key. `generation` is unique: the first start inserts generation 1 and a rotation
 * inserts the next one, so two replicas starting (or rotating) at once agree on one key — the
 * loser's insert fails with a duplicate and it loads the winner's.
 */
export interface SigningKeyDoc {
  _id: string; // the kid
  generation: number;
  algorithm: 'RS256';
  publicKeyPem: string;
  /** The private key (PKCS#8 PEM) sealed with AES-256-GCM under KEY_ENCRYPTION_KEY; the kid is the AAD. */
  privateKey: { iv: string; tag: string; ciphertext: string };
  createdAt: Date;
}

const SigningKeySchema = new Schema<SigningKeyDoc>(
  {
    _id: { type: String, required: true },
    generation: { type: Number, required: true, unique: true },
    algorithm: { type: String, required: true, enum: ['RS256'] },
    publicKeyPem: { type: String, required: true },
    privateKey: {
      type: new Schema({ iv: String, tag: String, ciphertext: String }, { _id: false }),
      required: true,
    },
    createdAt: { type: Date, required: true },
  },
  { collection: 'signing_keys', versionKey: false },
);

export type SigningKeyModel = Model<SigningKeyDoc>;

export function signingKeyModel(connection: Connection): SigningKeyModel {
  return (connection.models.SigningKey as SigningKeyModel) ?? connection.model<SigningKeyDoc>('SigningKey', SigningKeySchema);
}
