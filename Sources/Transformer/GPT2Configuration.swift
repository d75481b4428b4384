import Foundation

/// The hyper-parameters of a GPT-2 model, with Hugging Face `config.json` keys (`GPT2Config`).
public struct GPT2Configuration: Codable, Equatable, Sendable {
    public var vocabularySize: Int
    /// Learned positions: the longest sequence (`n_positions`).
    public var maxPositions: Int
    /// Model width (`n_embd`).
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    /// MLP width (`n_inner`; `4 × hiddenSize` when null).
    public var intermediateSize: Int
    public var layerNormEpsilon: Float
    /// `activation_function`: `gelu_new` (tanh approximation, GPT-2's) or `gelu` (erf).
    public var activation: Activation
    public var tieWordEmbeddings: Bool
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]

    /// The MLP non-linearity, named as in `config.json`.
    public enum Activation: String, Codable, Sendable {
        case geluNew = "gelu_new", gelu = "gelu", geluPytorchTanh = "gelu_pytorch_tanh"
    }

    public init(
        vocabularySize: Int, maxPositions: Int, hiddenSize: Int, layerCount: Int, headCount: Int,
        intermediateSize: Int? = nil, layerNormEpsilon: Float = 1e-5, activation: Activation = .geluNew,
        tieWordEmbeddings: Bool = true, bosTokenID: Int? = nil, eosTokenIDs: [Int] = []
    ) {
        self.vocabularySize = vocabularySize
        self.maxPositions = maxPositions
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize ?? 4 * hiddenSize
        self.layerNormEpsilon = layerNormEpsilon
        self.activation = activation
        self.tieWordEmbeddings = tieWordEmbeddings
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
    }

    /// A small model for tests: vocabulary 128, 64 positions, width 64, 2 layers, 4 heads.
    public static let tiny = GPT2Configuration(
        vocabularySize: 128, maxPositions: 64, hiddenSize: 64, layerCount: 2, headCount: 4,
        bosTokenID: 127, eosTokenIDs: [127])

    /// OpenAI's GPT-2 small (124M): vocabulary 50,257, 1,024 positions, width 768, 12 layers, 12 heads.
    public static let gpt2Small = GPT2Configuration(
        vocabularySize: 50_257, maxPositions: 1024, hiddenSize: 768, layerCount: 12, headCount: 12,
        bosTokenID: 50_256, eosTokenIDs: [50_256])

    public var headSize: Int { headCount > 0 ? hiddenSize / headCount : 0 }

    /// Hugging Face's initial standard deviation of the residual projections: `0.02/√(2·layers)`.
    var residualStandardDeviation: Float { 0.02 / Float(2 * Swift.max(layerCount, 1)).squareRoot() }

    /// Checks the sizes fit together.
    public func validate() throws(ModelLoadingError) {
        func fail(_ why: String) -> ModelLoadingError { .invalidConfiguration(reason: "gpt2: \(why)") }
        guard vocabularySize > 0, maxPositions > 0, hiddenSize > 0, layerCount > 0, headCount > 0,
              intermediateSize > 0 else { throw fail("sizes must be positive") }
        guard [hiddenSize, intermediateSize, maxPositions, layerCount, headCount].allSatisfy({ $0 <= 1 << 20 }),
              vocabularySize <= 1 << 22 else { throw fail("a size is implausibly large (corrupted configuration?)") }
        guard hiddenSize % headCount == 0 else { throw fail("width \(hiddenSize) is not a multiple of \(headCount) heads") }
    }

    // MARK: config.json

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", maxPositions = "n_positions", hiddenSize = "n_embd"
        case layerCount = "n_layer", headCount = "n_head", intermediateSize = "n_inner"
        case layerNormEpsilon = "layer_norm_epsilon", activation = "activation_function"
        case tieWordEmbeddings = "tie_word_embeddings", bosTokenID = "bos_token_id", eosTokenID = "eos_token_id"
        case modelType = "model_type", architectures
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        maxPositions = try c.decodeIfPresent(Int.self, forKey: .maxPositions) ?? 1024
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        headCount = try c.decode(Int.self, forKey: .headCount)
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 4 * hiddenSize
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? .geluNew
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? true
        bosTokenID = try c.decodeIfPresent(Int.self, forKey: .bosTokenID)
        if let one = try? c.decodeIfPresent(Int.self, forKey: .eosTokenID) {
            eosTokenIDs = [one]
        } else {
            eosTokenIDs = try c.decodeIfPresent([Int].self, forKey: .eosTokenID) ?? []
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(["GPT2LMHeadModel"], forKey: .architectures)
        try c.encode("gpt2", forKey: .modelType)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(maxPositions, forKey: .maxPositions)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(activation, forKey: .activation)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encodeIfPresent(bosTokenID, forKey: .bosTokenID)
        if eosTokenIDs.count == 1 { try c.encode(eosTokenIDs[0], forKey: .eosTokenID) }
        else if !eosTokenIDs.isEmpty { try c.encode(eosTokenIDs, forKey: .eosTokenID) }
    }
}
