import { writeFile } from "node:fs/promises";

/*
 * A GGUF v3 writer and a tiny random-weight llama model built with it. The model exists so that the
 * in-process backend, the demo and the tests can run offline on a CPU in well under a second; what it
 * writes is noise (see docs/decisions/0004-tiny-random-gguf.md).
 *
 * Layout of a GGUF v3 file (all little-endian): magic "GGUF", version (u32), tensor count (u64),
 * metadata count (u64); the metadata key/values; one info record per tensor (name, dimensions in ggml
 * order with the fastest-varying first, ggml type, offset into the data section); zero padding up to the
 * alignment; the tensor data, each tensor starting on an aligned offset.
 */

const GGUF_MAGIC = 0x46554747;
const GGUF_VERSION = 3;
const ALIGNMENT = 32;

/** GGUF metadata value types (the subset written here). */
const ValueType = {
  Uint32: 4,
  Int32: 5,
  Float32: 6,
  Bool: 7,
  String: 8,
  Array: 9,
} as const;

const GGML_TYPE_F32 = 0;

type MetadataValue =
  | { type: "string"; value: string }
  | { type: "uint32"; value: number }
  | { type: "float32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "strings"; value: string[] }
  | { type: "float32s"; value: number[] }
  | { type: "int32s"; value: number[] };

interface Tensor {
  name: string;
  /** ggml order: the fastest-varying dimension first. */
  dimensions: number[];
  data: Float32Array;
}

/** Serialises metadata and F32 tensors into one GGUF v3 buffer. */
class GgufBuilder {
  private readonly metadata: Array<[string, MetadataValue]> = [];
  private readonly tensors: Tensor[] = [];

  set(key: string, value: MetadataValue): this {
    this.metadata.push([key, value]);
    return this;
  }

  addTensor(name: string, dimensions: number[], data: Float32Array): this {
    const elements = dimensions.reduce((product, dimension) => product * dimension, 1);
    if (elements !== data.length) {
      throw new Error(`tensor ${name}: ${data.length} values for dimensions ${dimensions.join("×")}`);
    }
    this.tensors.push({ name, dimensions, data });
    return this;
  }

  build(): Buffer {
    const header = new ByteSink();
    header.uint32(GGUF_MAGIC);
    header.uint32(GGUF_VERSION);
    header.uint64(this.tensors.length);
    header.uint64(this.metadata.length);
    for (const [key, value] of this.metadata) {
      header.string(key);
      writeValue(header, value);
    }
    const offsets: number[] = [];
    let dataSize = 0;
    for (const tensor of this.tensors) {
      offsets.push(dataSize);
      dataSize = alignUp(dataSize + tensor.data.byteLength, ALIGNMENT);
    }
    this.tensors.forEach((tensor, index) => {
      header.string(tensor.name);
      header.uint32(tensor.dimensions.length);
      for (const dimension of tensor.dimensions) header.uint64(dimension);
      header.uint32(GGML_TYPE_F32);
      header.uint64(offsets[index]);
    });
    const headerBytes = header.toBuffer();
    const dataStart = alignUp(headerBytes.length, ALIGNMENT);
    const file = Buffer.alloc(dataStart + dataSize);
    headerBytes.copy(file, 0);
    this.tensors.forEach((tensor, index) => {
      const bytes = Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
      if (isBigEndian) {
        for (let i = 0; i < tensor.data.length; i++) {
          file.writeFloatLE(tensor.data[i], dataStart + offsets[index] + i * 4);
        }
      } else {
        bytes.copy(file, dataStart + offsets[index]);
      }
    });
    return file;
  }
}

const isBigEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 0;

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function writeValue(sink: ByteSink, value: MetadataValue): void {
  switch (value.type) {
    case "string":
      sink.uint32(ValueType.String);
      sink.string(value.value);
      return;
    case "uint32":
      sink.uint32(ValueType.Uint32);
      sink.uint32(value.value);
      return;
    case "float32":
      sink.uint32(ValueType.Float32);
      sink.float32(value.value);
      return;
    case "bool":
      sink.uint32(ValueType.Bool);
      sink.uint8(value.value ? 1 : 0);
      return;
    case "strings":
      sink.uint32(ValueType.Array);
      sink.uint32(ValueType.String);
      sink.uint64(value.value.length);
      for (const item of value.value) sink.string(item);
      return;
    case "float32s":
      sink.uint32(ValueType.Array);
      sink.uint32(ValueType.Float32);
      sink.uint64(value.value.length);
      for (const item of value.value) sink.float32(item);
      return;
    case "int32s":
      sink.uint32(ValueType.Array);
      sink.uint32(ValueType.Int32);
      sink.uint64(value.value.length);
      for (const item of value.value) sink.int32(item);
      return;
  }
}

/** A growable little-endian byte buffer. */
class ByteSink {
  private buffer = Buffer.alloc(64 * 1024);
  private length = 0;

  private reserve(bytes: number): number {
    if (this.length + bytes > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + bytes));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    const at = this.length;
    this.length += bytes;
    return at;
  }

  uint8(value: number): void {
    this.buffer.writeUInt8(value, this.reserve(1));
  }

  uint32(value: number): void {
    this.buffer.writeUInt32LE(value, this.reserve(4));
  }

  int32(value: number): void {
    this.buffer.writeInt32LE(value, this.reserve(4));
  }

  uint64(value: number): void {
    this.buffer.writeBigUInt64LE(BigInt(value), this.reserve(8));
  }

  float32(value: number): void {
    this.buffer.writeFloatLE(value, this.reserve(4));
  }

  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    this.uint64(bytes.length);
    bytes.copy(this.buffer, this.reserve(bytes.length));
  }

  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** Deterministic pseudo-random numbers (SplitMix32 steps) with a normal sampler. */
class Random {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  }

  normal(): number {
    if (this.spare !== undefined) {
      const spare = this.spare;
      this.spare = undefined;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  fill(values: Float32Array, scale: number, from = 0, to = values.length): Float32Array {
    for (let i = from; i < to; i++) values[i] = this.normal() * scale;
    return values;
  }
}

// SentencePiece token types, as llama.cpp reads `tokenizer.ggml.token_type`.
const TOKEN_NORMAL = 1;
const TOKEN_UNKNOWN = 2;
const TOKEN_CONTROL = 3;
const TOKEN_BYTE = 6;

/** SentencePiece's marker for a preceding space. */
const SPACE = "\u2581";

const COMMON_WORDS = `the of and to in a is that for it as was with be by on not he this are or his from at which
but have an they you were her she there been one all we their has would when if so no will more can out up
who them some than its only other into then two time these may like do first any my now over such our man me
even most made after also did many before must through back years where much your way well down should
because each just those people how too little state good very make world still own see men work long get
here between both life being under never day same another know while last might us great old year off come
since against go came right used take three patient patients woman man women men child boy girl infant baby
adult elderly history presents presented presenting days weeks months hours minutes ago since today yesterday
pain fever cough vomiting nausea diarrhoea diarrhea headache rash swelling weakness fatigue dizziness
bleeding shortness breath chest abdomen abdominal back neck head leg arm knee hip shoulder eye ear throat
skin blood urine heart lung lungs liver kidney brain bone joint muscle nerve stomach bowel bladder
left right upper lower severe mild moderate sudden gradual onset worse better
examination exam tender tenderness normal abnormal raised low high elevated reduced rate pressure
temperature pulse oxygen saturation count white cells level levels test tests scan shows showed reveals
diagnosis diagnoses differential likely possible probable unlikely rule consider most least
acute chronic primary secondary viral bacterial infection infectious inflammatory syndrome disease disorder
failure attack injury fracture obstruction perforation rupture torsion embolism thrombosis stenosis
pneumonia bronchitis bronchiolitis asthma copd influenza covid tuberculosis sepsis meningitis encephalitis
appendicitis cholecystitis pancreatitis hepatitis gastritis gastroenteritis colitis diverticulitis
peritonitis cirrhosis ulcer reflux hernia migraine stroke epilepsy seizure dementia delirium depression
anxiety psychosis schizophrenia diabetes ketoacidosis hypoglycaemia hypoglycemia hyperthyroidism
hypothyroidism anaemia anemia leukaemia leukemia lymphoma myeloma cancer carcinoma tumour tumor metastasis
infarction myocardial angina arrhythmia fibrillation flutter tachycardia bradycardia pericarditis
myocarditis endocarditis cardiomyopathy dissection aneurysm hypertension hypotension shock anaphylaxis
urinary tract pyelonephritis cystitis nephritis glomerulonephritis calculi stones colic ectopic pregnancy
preeclampsia eclampsia ovarian cyst endometriosis pelvic inflammatory prostatitis epididymitis testicular
cellulitis abscess osteomyelitis arthritis gout lupus vasculitis sarcoidosis fibrosis pneumothorax
pulmonary embolus effusion edema oedema haemorrhage hemorrhage subarachnoid subdural intracerebral
kawasaki measles mumps rubella varicella zoster herpes malaria dengue typhoid lyme syphilis hiv
addison cushing pheochromocytoma porphyria wilson guillain barre myasthenia sclerosis parkinson
intussusception volvulus pyloric croup epiglottitis otitis sinusitis tonsillitis pharyngitis conjunctivitis
glaucoma uveitis retinal detachment`;

/** Words that also get a capitalised piece, so lists and sentences can start with them. */
const CAPITALISED = [
  "the",
  "a",
  "this",
  "patient",
  "acute",
  "chronic",
  "diagnosis",
  "pneumonia",
  "appendicitis",
  "migraine",
  "sepsis",
  "stroke",
  "myocardial",
  "pulmonary",
  "ectopic",
  "urinary",
  "diabetic",
  "most",
  "likely",
  "possible",
];

const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Token classes, each with its own output bias, so that the noise is made of words. */
type TokenClass =
  | "silent"
  | "byte"
  | "fragment"
  | "word"
  | "punctuation"
  | "quote"
  | "newline"
  | "end-of-turn";

interface Vocabulary {
  tokens: string[];
  scores: number[];
  types: number[];
  classes: TokenClass[];
  endOfTurn: number;
}

function buildVocabulary(): Vocabulary {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const classes: TokenClass[] = [];
  const index = new Map<string, number>();
  const add = (token: string, type: number, tokenClass: TokenClass): number => {
    const existing = index.get(token);
    if (existing !== undefined) {
      if (tokenClass === "word") classes[existing] = tokenClass;
      return existing;
    }
    const id = tokens.length;
    index.set(token, id);
    tokens.push(token);
    // SentencePiece merges the pair whose merged piece scores highest: earlier pieces win.
    scores.push(type === TOKEN_NORMAL ? -id : 0);
    types.push(type);
    classes.push(tokenClass);
    return id;
  };
  add("<unk>", TOKEN_UNKNOWN, "silent");
  add("<s>", TOKEN_CONTROL, "silent");
  add("</s>", TOKEN_CONTROL, "silent");
  for (let byte = 0; byte < 256; byte++) {
    const name = `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
    add(name, TOKEN_BYTE, byte === 0x0a ? "newline" : "byte");
  }
  add("<|im_start|>", TOKEN_CONTROL, "silent");
  const endOfTurn = add("<|im_end|>", TOKEN_CONTROL, "end-of-turn");
  add(SPACE, TOKEN_NORMAL, "fragment");
  for (let code = 0x21; code <= 0x7e; code++) {
    const character = String.fromCharCode(code);
    const tokenClass = character === '"' ? "quote" : ",.:".includes(character) ? "punctuation" : "fragment";
    add(character, TOKEN_NORMAL, tokenClass);
  }
  for (const punctuation of [",", ".", ":", ";", "-", "(", ")"]) {
    add(SPACE + punctuation, TOKEN_NORMAL, "fragment");
  }
  for (let digit = 0; digit <= 9; digit++) add(SPACE + digit, TOKEN_NORMAL, "word");
  const words = [
    ...new Set(COMMON_WORDS.split(/\s+/).filter(Boolean)),
    ...CAPITALISED.map((word) => word[0].toUpperCase() + word.slice(1)),
  ];
  // Every prefix of "▁word" is a piece too, so that SentencePiece can merge its way up to the whole word.
  for (const word of words) {
    const piece = SPACE + word;
    for (let end = 2; end < piece.length; end++) add(piece.slice(0, end), TOKEN_NORMAL, "fragment");
    add(piece, TOKEN_NORMAL, "word");
  }
  return { tokens, scores, types, classes, endOfTurn };
}

const SHAPE = {
  embedding: 64,
  layers: 2,
  heads: 4,
  feedForward: 128,
  contextLength: 4096,
};

/*
 * How the noise is shaped. Dimension 0 of every token embedding holds a constant that no layer writes
 * to (row 0 of attn_output and ffn_down is zero), so after the final norm it reads about
 * NORMALISED_BIAS_DIMENSION (within 15%) in every context, and column 0 of the output matrix acts as a
 * per-token logit bias. Words get a bias plus a context-dependent random part (the word logits' maximum
 * is 7.5 to 9, their log-sum-exp about 10.5); structural tokens (punctuation, quote, newline, end of turn)
 * get a bias only, set against that spread so that with sampling they come now and then and a turn ends
 * after some tens of tokens, while greedy decoding seldom ends a turn by itself. Bytes and control
 * tokens other than the end of turn are practically never chosen, so the output is valid UTF-8 text.
 */
const BIAS_DIMENSION_VALUE = 4;
const NORMALISED_BIAS_DIMENSION = 2.9;
const EMBEDDING_SCALE = 0.4;
const LAYER_OUTPUT_SCALE = 1;
const OUTPUT_SCALE = 0.3;

const CLASS_BIAS: Record<TokenClass, number> = {
  silent: -30,
  byte: -30,
  fragment: -8,
  word: 3,
  punctuation: 8,
  quote: 8.2,
  newline: 6.9,
  "end-of-turn": 7.1,
};

const STRUCTURAL: ReadonlySet<TokenClass> = new Set(["punctuation", "quote", "newline", "end-of-turn"]);

export interface TinyGgufOptions {
  /** Seed of the random weights; the same seed writes the same bytes. Default 1. */
  seed?: number;
}

/**
 * Writes a tiny random-weight llama model (GGUF v3, F32 tensors, about 1.6 MB): 2 layers, embedding 64,
 * 4 heads, a SentencePiece vocabulary of byte-fallback tokens and common English and clinical words,
 * ChatML control tokens and a ChatML chat template. It loads in node-llama-cpp in well under a second.
 * Everything it generates is noise: strings of real words, deterministic for a given seed and prompt.
 */
export async function writeTinyGguf(path: string, options: TinyGgufOptions = {}): Promise<void> {
  await writeFile(path, buildTinyGguf(options.seed ?? 1));
}

function buildTinyGguf(seed: number): Buffer {
  const random = new Random(seed);
  const vocabulary = buildVocabulary();
  const { embedding, layers, heads, feedForward } = SHAPE;
  const vocabularySize = vocabulary.tokens.length;
  const builder = new GgufBuilder()
    .set("general.architecture", { type: "string", value: "llama" })
    .set("general.name", { type: "string", value: "clinval tiny random llama" })
    .set("general.description", {
      type: "string",
      value: "Random weights for offline smoke tests; its output is noise.",
    })
    .set("general.file_type", { type: "uint32", value: 0 })
    .set("general.alignment", { type: "uint32", value: ALIGNMENT })
    .set("llama.context_length", { type: "uint32", value: SHAPE.contextLength })
    .set("llama.embedding_length", { type: "uint32", value: embedding })
    .set("llama.block_count", { type: "uint32", value: layers })
    .set("llama.feed_forward_length", { type: "uint32", value: feedForward })
    .set("llama.rope.dimension_count", { type: "uint32", value: embedding / heads })
    .set("llama.attention.head_count", { type: "uint32", value: heads })
    .set("llama.attention.head_count_kv", { type: "uint32", value: heads })
    .set("llama.attention.layer_norm_rms_epsilon", { type: "float32", value: 1e-5 })
    .set("llama.vocab_size", { type: "uint32", value: vocabularySize })
    .set("tokenizer.ggml.model", { type: "string", value: "llama" })
    .set("tokenizer.ggml.tokens", { type: "strings", value: vocabulary.tokens })
    .set("tokenizer.ggml.scores", { type: "float32s", value: vocabulary.scores })
    .set("tokenizer.ggml.token_type", { type: "int32s", value: vocabulary.types })
    .set("tokenizer.ggml.unknown_token_id", { type: "uint32", value: 0 })
    .set("tokenizer.ggml.bos_token_id", { type: "uint32", value: 1 })
    .set("tokenizer.ggml.eos_token_id", { type: "uint32", value: vocabulary.endOfTurn })
    .set("tokenizer.ggml.padding_token_id", { type: "uint32", value: 0 })
    .set("tokenizer.ggml.add_bos_token", { type: "bool", value: false })
    .set("tokenizer.ggml.add_eos_token", { type: "bool", value: false })
    .set("tokenizer.chat_template", { type: "string", value: CHATML_TEMPLATE });

  const tokenEmbedding = new Float32Array(vocabularySize * embedding);
  for (let token = 0; token < vocabularySize; token++) {
    const row = token * embedding;
    tokenEmbedding[row] = BIAS_DIMENSION_VALUE;
    random.fill(tokenEmbedding, EMBEDDING_SCALE, row + 1, row + embedding);
  }
  builder.addTensor("token_embd.weight", [embedding, vocabularySize], tokenEmbedding);

  const ones = (length: number) => new Float32Array(length).fill(1);
  /** A weight matrix in ggml order ([inputs, outputs]: one row of `inputs` values per output). */
  const matrix = (inputs: number, outputs: number, scale: number, keepBiasDimension = false) => {
    const values = random.fill(new Float32Array(inputs * outputs), scale / Math.sqrt(inputs));
    if (keepBiasDimension) values.fill(0, 0, inputs);
    return values;
  };
  for (let layer = 0; layer < layers; layer++) {
    const name = (tensor: string) => `blk.${layer}.${tensor}.weight`;
    builder
      .addTensor(name("attn_norm"), [embedding], ones(embedding))
      .addTensor(name("attn_q"), [embedding, embedding], matrix(embedding, embedding, 2))
      .addTensor(name("attn_k"), [embedding, embedding], matrix(embedding, embedding, 2))
      .addTensor(name("attn_v"), [embedding, embedding], matrix(embedding, embedding, 1))
      .addTensor(
        name("attn_output"),
        [embedding, embedding],
        matrix(embedding, embedding, LAYER_OUTPUT_SCALE, true),
      )
      .addTensor(name("ffn_norm"), [embedding], ones(embedding))
      .addTensor(name("ffn_gate"), [embedding, feedForward], matrix(embedding, feedForward, 1))
      .addTensor(name("ffn_up"), [embedding, feedForward], matrix(embedding, feedForward, 1))
      .addTensor(
        name("ffn_down"),
        [feedForward, embedding],
        matrix(feedForward, embedding, LAYER_OUTPUT_SCALE, true),
      );
  }
  builder.addTensor("output_norm.weight", [embedding], ones(embedding));

  const output = new Float32Array(vocabularySize * embedding);
  for (let token = 0; token < vocabularySize; token++) {
    const row = token * embedding;
    const tokenClass = vocabulary.classes[token];
    output[row] = CLASS_BIAS[tokenClass] / NORMALISED_BIAS_DIMENSION;
    random.fill(output, STRUCTURAL.has(tokenClass) ? 0 : OUTPUT_SCALE, row + 1, row + embedding);
  }
  builder.addTensor("output.weight", [embedding, vocabularySize], output);
  return builder.build();
}

export interface TinyLoraOptions {
  /** Seed of the adapter's random weights. Default 1. */
  seed?: number;
  /** Rank of the low-rank matrices. Default 4. */
  rank?: number;
}

/**
 * Writes a random LoRA adapter (GGUF v3) for the model of `writeTinyGguf`: low-rank updates of the
 * query, value and feed-forward-up projections of every layer, large enough to change what the model
 * writes.
 */
export async function writeTinyLora(path: string, options: TinyLoraOptions = {}): Promise<void> {
  const random = new Random(options.seed ?? 1);
  const rank = options.rank ?? 4;
  const { embedding, layers, feedForward } = SHAPE;
  const builder = new GgufBuilder()
    .set("general.architecture", { type: "string", value: "llama" })
    .set("general.type", { type: "string", value: "adapter" })
    .set("general.name", { type: "string", value: "clinval tiny random lora" })
    .set("general.alignment", { type: "uint32", value: ALIGNMENT })
    .set("adapter.type", { type: "string", value: "lora" })
    .set("adapter.lora.alpha", { type: "float32", value: rank });
  for (let layer = 0; layer < layers; layer++) {
    const targets: Array<[string, number, number]> = [
      ["attn_q", embedding, embedding],
      ["attn_v", embedding, embedding],
      ["ffn_up", embedding, feedForward],
    ];
    for (const [tensor, inputs, outputs] of targets) {
      const name = `blk.${layer}.${tensor}.weight`;
      // The update is B·A: A maps the inputs to `rank` values ([inputs, rank] in ggml order), B maps those to the outputs.
      const a = random.fill(new Float32Array(inputs * rank), 1 / Math.sqrt(inputs));
      const b = random.fill(new Float32Array(rank * outputs), 2 / Math.sqrt(rank));
      builder.addTensor(`${name}.lora_a`, [inputs, rank], a).addTensor(`${name}.lora_b`, [rank, outputs], b);
    }
  }
  await writeFile(path, builder.build());
}
