/**
 * A small ONNX graph builder over the ONNX protobuf schema (the npm package onnx-proto, encoded by
 * protobufjs): named constants, nodes with integer attributes, typed inputs and outputs, and the
 * encoded ModelProto. Knows nothing about any architecture.
 */
import { onnx } from 'onnx-proto';

/** A graph input or output: fp32, its dimensions (a string is a named, dynamic dimension). */
export interface TensorSpec {
  name: string;
  dims: (number | string)[];
}

export interface ModelInfo {
  opset: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  producerVersion: string;
  docString: string;
  metadata: Record<string, string>;
}

/**
 * The IR version that goes with an opset (onnx/docs/Versioning.md): opset 11–18 → 8, 19–20 → 9,
 * 21 → 10. The schema here is IR 8's; the later IR versions add nothing this graph uses.
 */
function irVersion(opset: number): number {
  return opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

function valueInfo(spec: TensorSpec): onnx.IValueInfoProto {
  return {
    name: spec.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: spec.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly names = new Set<string>();

  /** Counts of each op, e.g. to show that no BatchNormalization is left. */
  readonly opCounts = new Map<string, number>();

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX export: the name '${name}' is used twice`);
    this.names.add(name);
    return name;
  }

  /** An fp32 constant (raw little-endian bytes, as x86 and ARM hold them); returns its name. */
  constant(name: string, dims: number[], data: Float32Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length)
      throw new Error(`ONNX export: constant '${name}' has ${data.length} values for shape [${dims}]`);
    this.initializers.push({
      name: this.claim(name),
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /**
   * A node named `name` whose one output is also called `name` (the graph's output names are
   * given this way); attributes are integers or lists of integers, all this exporter needs.
   */
  node(op: string, inputs: string[], name: string, attributes: Record<string, number | number[]> = {}): string {
    this.nodes.push({
      opType: op,
      name: this.claim(name),
      input: inputs,
      output: [name],
      attribute: Object.entries(attributes).map(([key, value]) =>
        Array.isArray(value)
          ? { name: key, type: onnx.AttributeProto.AttributeType.INTS, ints: value }
          : { name: key, type: onnx.AttributeProto.AttributeType.INT, i: value },
      ),
    });
    this.opCounts.set(op, (this.opCounts.get(op) ?? 0) + 1);
    return name;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The serialised ModelProto. */
  encode(info: ModelInfo): Uint8Array {
    for (const input of info.inputs) this.claim(input.name);
    const model: onnx.IModelProto = {
      irVersion: irVersion(info.opset),
      opsetImport: [{ domain: '', version: info.opset }],
      producerName: 'vgg2-torch',
      producerVersion: info.producerVersion,
      docString: info.docString,
      metadataProps: Object.entries(info.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: 'vgg2-torch',
        node: this.nodes,
        initializer: this.initializers,
        input: info.inputs.map(valueInfo),
        output: info.outputs.map(valueInfo),
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}
