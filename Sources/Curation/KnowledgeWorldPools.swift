/// The fixed candidate pools of the knowledge world and the syllables its names are built from.
///
/// Every attribute has ONE pool, and every entry of a pool has the same shape (an invented
/// single-word city; "`<invented word>` University"; an invented single-word company; a
/// lower-case field of study; a date "`day` `Month` `year`"), so a multiple-choice question
/// never offers a choice that stands out by its wording. People draw their attributes from the
/// pools uniformly and the distractors come from the same pools uniformly: a model that knows
/// nothing about a person then scores chance in expectation, whatever its taste for particular
/// entries. The place, university and company names were made up for Lore; none is meant to be
/// a real, well-known place or organisation.
enum KnowledgePools {
    /// Invented city names (40).
    static let cities = [
        "Veltham", "Corrindale", "Brasklow", "Marrowgate", "Quendry", "Thistleport", "Ardenfall", "Kelvarra",
        "Drummorin", "Solbruck", "Yarrowmere", "Vantrell", "Orlesk", "Halvenport", "Gristmoor", "Caddrith",
        "Wexmarsh", "Torvane", "Mirelund", "Ostwick", "Pellhaven", "Zarnovel", "Fenmarrow", "Dunmerrow",
        "Ravensholt", "Trevallin", "Bexhold", "Umberstead", "Glennock", "Carrowdune", "Isselford", "Norrbeck",
        "Whitlander", "Estermoor", "Kilvarren", "Morrowick", "Saltrevin", "Brenmouth", "Hollinsk", "Tarrowby",
    ]

    /// Invented university names (30), each "`<word>` University".
    static let universities = [
        "Halcrest", "Brennard", "Wyndhollow", "Stellarion", "Merriton", "Dunvarrow", "Pemberhold", "Rossmoray",
        "Fairholme", "Tamberlin", "Everholt", "Greymantle", "Lindqvale", "Corvistan", "Hawkmere", "Selwyndale",
        "Aubrevale", "Northmarch", "Quillanby", "Varrenbrook", "Ellisford", "Marlowen", "Trentholm", "Castorby",
        "Beaumarsh", "Oakhallow", "Redvayne", "Silverhythe", "Westerlyn", "Crownhaven",
    ].map { "\($0) University" }

    /// Invented company names (30).
    static let employers = [
        "Zentrova", "Kalimex", "Orbisant", "Veridane", "Quorvex", "Tessaline", "Brontica", "Halvix",
        "Marquent", "Solvanta", "Nexorin", "Plumetric", "Cardovan", "Lumitrex", "Ostrevia", "Gravimont",
        "Syndrel", "Trivolux", "Axelion", "Corvanta", "Meridane", "Pellucor", "Vantiqa", "Zephyrion",
        "Ulterra", "Drovana", "Kestralis", "Obrevant", "Wyvernix", "Farrowtek",
    ]

    /// Fields of work (24), lower case.
    static let fields = [
        "marine biology", "astronomy", "organic chemistry", "structural engineering", "linguistics",
        "economics", "architecture", "medieval history", "botany", "geology", "meteorology", "cryptography",
        "oceanography", "neuroscience", "epidemiology", "robotics", "archaeology", "materials science",
        "ornithology", "acoustics", "volcanology", "glaciology", "mycology", "seismology",
    ]

    /// English month names, January first.
    static let months = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]

    /// Birth years are drawn uniformly from this range.
    static let years = 1950...1999

    // MARK: Name syllables

    /// Consonant onsets of a name's syllables.
    static let onsets = ["b", "br", "c", "d", "dr", "f", "g", "h", "j", "k", "l", "m", "n", "p", "qu", "r", "s",
                         "st", "t", "th", "v", "w", "z"]
    /// Vowels of a name's syllables (plain vowels repeated to make them likelier than pairs).
    static let vowels = ["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ia"]
    /// Endings of given names ("" = open last syllable).
    static let givenEndings = ["", "", "n", "l", "s", "r", "na", "ra", "th"]
    /// Endings of family names.
    static let familyEndings = ["n", "r", "ll", "ck", "sk", "rd", "nt", "lon", "ven", "mont", "wick", "dell", "gan"]
}
