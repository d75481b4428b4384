import Foundation

/// The hyper-parameters of a Llama-family model (Llama 2/3, SmolLM/SmolLM2, Mistral-style),
/// with Hugging Face `config.json` keys (`LlamaConfig`).
///
/// Decoding accepts both `rope_theta` at the top level and Transformers 5's
/// `rope_parameters: {"rope_theta", "rope_type", …}`; encoding writes the top-level form, which
/// every version of `transformers` reads.
public struct LlamaConfiguration: Codable, Equatable, Sendable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    /// Width of the SwiGLU MLP.
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    /// Grouped-query attention: `headCount` must be a multiple of it (equal = multi-head).
    public var keyValueHeadCount: Int
    /// Per-head size; `hiddenSize / headCount` when absent from `config.json`.
    public var headSize: Int
    public var maxPositions: Int
    public var rmsNormEpsilon: Float
    /// RoPE base `θ` (`rope_theta`; default 10,000).
    public var ropeTheta: Double
    /// Llama 3 frequency rescaling (`rope_scaling` with `rope_type: "llama3"`), or `nil`.
    public var ropeScaling: RopeScaling?
    /// The output head reuses the token embedding (`tie_word_embeddings`).
    public var tieWordEmbeddings: Bool
    /// Biases on q/k/v/o projections (`attention_bias`; default false).
    public var attentionBias: Bool
    /// Biases on the MLP projections (`mlp_bias`; default false).
    public var mlpBias: Bool
    public var bosTokenID: Int?
    /// End-of-sequence ids (`eos_token_id` is one id or a list in `config.json`).
    public var eosTokenIDs: [Int]

    /// Llama 3's `rope_scaling` (`rope_type: "llama3"`): wavelengths above
    /// `originalMaxPositions / lowFrequencyFactor` are divided by `factor`, those below
    /// `originalMaxPositions / highFrequencyFactor` kept, and the band between interpolated
    /// smoothly (Hugging Face `_compute_llama3_parameters`).
    public struct RopeScaling: Codable, Equatable, Sendable {
        public var factor: Double
        public var lowFrequencyFactor: Double
        public var highFrequencyFactor: Double
        public var originalMaxPositions: Int

        public init(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalMaxPositions: Int) {
            self.factor = factor
            self.lowFrequencyFactor = lowFrequencyFactor
            self.highFrequencyFactor = highFrequencyFactor
            self.originalMaxPositions = originalMaxPositions
        }

        enum CodingKeys: String, CodingKey {
            case factor, ropeType = "rope_type", type
            case lowFrequencyFactor = "low_freq_factor", highFrequencyFactor = "high_freq_factor"
            case originalMaxPositions = "original_max_position_embeddings"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let kind = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decodeIfPresent(String.self, forKey: .type)
            guard kind == "llama3" else {
                throw DecodingError.dataCorruptedError(forKey: .ropeType, in: c,
                    debugDescription: "rope_scaling type '\(kind ?? "none")' is not supported (only 'llama3')")
            }
            factor = try c.decode(Double.self, forKey: .factor)
            lowFrequencyFactor = try c.decode(Double.self, forKey: .lowFrequencyFactor)
            highFrequencyFactor = try c.decode(Double.self, forKey: .highFrequencyFactor)
            originalMaxPositions = try c.decode(Int.self, forKey: .originalMaxPositions)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode("llama3", forKey: .ropeType)
            try c.encode(factor, forKey: .factor)
            try c.encode(lowFrequencyFactor, forKey: .lowFrequencyFactor)
            try c.encode(highFrequencyFactor, forKey: .highFrequencyFactor)
            try c.encode(originalMaxPositions, forKey: .originalMaxPositions)
        }

        /// Rescales standard inverse frequencies as Llama 3 does.
        public func apply(to inverseFrequencies: [Double]) -> [Double] {
            let lowWavelength = Double(originalMaxPositions) / lowFrequencyFactor
            let highWavelength = Double(originalMaxPositions) / highFrequencyFactor
            return inverseFrequencies.map { f in
                let wavelength = 2 * Double.pi / f
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return f / factor }
                let smooth = (Double(originalMaxPositions) / wavelength - lowFrequencyFactor)
                    / (highFrequencyFactor - lowFrequencyFactor)
                return (1 - smooth) * f / factor + smooth * f
            }
        }
    }

    public init(
        vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
        keyValueHeadCount: Int, headSize: Int? = nil, maxPositions: Int = 2048, rmsNormEpsilon: Float = 1e-5,
        ropeTheta: Double = 10_000, ropeScaling: RopeScaling? = nil, tieWordEmbeddings: Bool = true,
        attentionBias: Bool = false, mlpBias: Bool = false, bosTokenID: Int? = nil, eosTokenIDs: [Int] = []
    ) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.headSize = headSize ?? (headCount > 0 ? hiddenSize / headCount : 0)
        self.maxPositions = maxPositions
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
        self.mlpBias = mlpBias
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
    }

    /// A small model for tests: vocabulary 128, hidden 64, 2 layers, 4 query heads sharing
    /// 2 kv heads (head 16), MLP 96, RoPE base 10,000, tied embeddings.
    public static let tiny = LlamaConfiguration(
        vocabularySize: 128, hiddenSize: 64, intermediateSize: 96, layerCount: 2, headCount: 4,
        keyValueHeadCount: 2, maxPositions: 128, rmsNormEpsilon: 1e-5, ropeTheta: 10_000, tieWordEmbeddings: true,
        bosTokenID: 1, eosTokenIDs: [2])

    /// SmolLM2-135M's shape (30 layers, hidden 576, 9/3 heads, MLP 1536, vocabulary 49,152, RoPE base 1e5).
    public static let smolLM2_135M = LlamaConfiguration(
        vocabularySize: 49_152, hiddenSize: 576, intermediateSize: 1536, layerCount: 30, headCount: 9,
        keyValueHeadCount: 3, maxPositions: 8192, rmsNormEpsilon: 1e-5, ropeTheta: 100_000, tieWordEmbeddings: true,
        bosTokenID: 1, eosTokenIDs: [2])

    /// Checks the sizes fit together.
    public func validate() throws(ModelLoadingError) {
        func fail(_ why: String) -> ModelLoadingError { .invalidConfiguration(reason: "llama: \(why)") }
        guard vocabularySize > 0, hiddenSize > 0, intermediateSize > 0, layerCount > 0, headCount > 0,
              keyValueHeadCount > 0, headSize > 0, maxPositions > 0 else { throw fail("sizes must be positive") }
        guard [hiddenSize, intermediateSize, headCount * headSize, maxPositions, layerCount].allSatisfy({ $0 <= 1 << 20 }),
              vocabularySize <= 1 << 22 else { throw fail("a size is implausibly large (corrupted configuration?)") }
        guard headCount % keyValueHeadCount == 0 else {
            throw fail("\(headCount) attention heads are not a multiple of \(keyValueHeadCount) key/value heads")
        }
        guard headSize % 2 == 0 else { throw fail("head size \(headSize) must be even for rotary embedding") }
    }

    /// The rotary inverse frequencies: `θ^(−2i/Dh)`, rescaled by ``ropeScaling`` when set.
    public var rotaryInverseFrequencies: [Double] {
        let base = (0..<(headSize / 2)).map { 1 / pow(ropeTheta, Double(2 * $0) / Double(headSize)) }
        return ropeScaling?.apply(to: base) ?? base
    }

    // MARK: config.json

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case layerCount = "num_hidden_layers", headCount = "num_attention_heads"
        case keyValueHeadCount = "num_key_value_heads", headSize = "head_dim"
        case maxPositions = "max_position_embeddings", rmsNormEpsilon = "rms_norm_eps"
        case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", ropeParameters = "rope_parameters"
        case tieWordEmbeddings = "tie_word_embeddings", attentionBias = "attention_bias", mlpBias = "mlp_bias"
        case bosTokenID = "bos_token_id", eosTokenID = "eos_token_id"
        case modelType = "model_type", architectures, hiddenAct = "hidden_act"
    }

    private struct RopeParameters: Decodable {
        var ropeTheta: Double?
        var ropeType: String?
        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta", ropeType = "rope_type" }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        headCount = try c.decode(Int.self, forKey: .headCount)
        keyValueHeadCount = try c.decodeIfPresent(Int.self, forKey: .keyValueHeadCount) ?? headCount
        headSize = try c.decodeIfPresent(Int.self, forKey: .headSize) ?? (headCount > 0 ? hiddenSize / headCount : 0)
        maxPositions = try c.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 2048
        rmsNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .rmsNormEpsilon) ?? 1e-6
        let parameters = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? parameters?.ropeTheta ?? 10_000
        if let type = parameters?.ropeType, type == "llama3" {
            ropeScaling = try c.decode(RopeScaling.self, forKey: .ropeParameters)
        } else if let type = parameters?.ropeType, type != "default" {
            throw DecodingError.dataCorruptedError(forKey: .ropeParameters, in: c,
                debugDescription: "rope type '\(type)' is not supported (only 'default' and 'llama3')")
        } else {
            ropeScaling = try c.decodeIfPresent(RopeScaling.self, forKey: .ropeScaling)
        }
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
        bosTokenID = try c.decodeIfPresent(Int.self, forKey: .bosTokenID)
        if let one = try? c.decodeIfPresent(Int.self, forKey: .eosTokenID) {
            eosTokenIDs = [one]
        } else {
            eosTokenIDs = try c.decodeIfPresent([Int].self, forKey: .eosTokenID) ?? []
        }
        if let act = try c.decodeIfPresent(String.self, forKey: .hiddenAct), act != "silu" {
            throw DecodingError.dataCorruptedError(forKey: .hiddenAct, in: c,
                debugDescription: "hidden_act '\(act)' is not supported for llama (only 'silu')")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(["LlamaForCausalLM"], forKey: .architectures)
        try c.encode("llama", forKey: .modelType)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(keyValueHeadCount, forKey: .keyValueHeadCount)
        try c.encode(headSize, forKey: .headSize)
        try c.encode(maxPositions, forKey: .maxPositions)
        try c.encode(rmsNormEpsilon, forKey: .rmsNormEpsilon)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encodeIfPresent(ropeScaling, forKey: .ropeScaling)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode(mlpBias, forKey: .mlpBias)
        try c.encode("silu", forKey: .hiddenAct)
        try c.encodeIfPresent(bosTokenID, forKey: .bosTokenID)
        if eosTokenIDs.count == 1 { try c.encode(eosTokenIDs[0], forKey: .eosTokenID) }
        else if !eosTokenIDs.isEmpty { try c.encode(eosTokenIDs, forKey: .eosTokenID) }
    }
}
