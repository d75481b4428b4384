/// A seeded fictional world of invented people, for measuring whether training adds new facts
/// to a model: biographies to train on (``biographies(perPerson:)``) and held-out
/// multiple-choice questions about the same facts (``questions(choices:style:)``).
///
/// Each person has five attributes (``Attribute``): a birth date, a birth city, a university,
/// an employer and a field of work, each drawn uniformly and independently from its pool (see
/// the pools in `KnowledgeWorldPools.swift`; dates: year uniform in 1950…1999, month uniform,
/// day uniform within the month). Names are built from syllables (two for the given name, two
/// plus an ending for the family name); given names, family names and full names are all
/// distinct, and none equals a pool entry.
///
/// The same seed gives the same world on every machine: all randomness comes from SplitMix64
/// streams derived from the seed (one for the people, one for the biographies, one for the
/// questions), so asking for more biographies does not change the questions.
///
/// ```swift
/// let world = KnowledgeWorld(seed: 0, people: 100)
/// let texts = world.biographies(perPerson: 6)     // 600 shuffled paragraphs
/// let items = world.questions(choices: 4)         // 500 questions, 5 per person
/// try world.writeFiles(to: folder)                // train.jsonl, questions.jsonl, world.json
/// ```
public struct KnowledgeWorld: Sendable, Equatable {
    /// One of the five facts every person has. The raw value is the question's `subject`.
    public enum Attribute: String, CaseIterable, Codable, Sendable {
        case birthDate = "birth_date"
        case birthCity = "birth_city"
        case university
        case employer
        case field
    }

    /// A calendar date.
    public struct CalendarDate: Codable, Sendable, Hashable {
        public var day: Int
        /// 1 = January.
        public var month: Int
        public var year: Int

        public init(day: Int, month: Int, year: Int) {
            check((1...12).contains(month) && (1...KnowledgeWorld.CalendarDate.days(inMonth: month, year: year)).contains(day),
                  "KnowledgeWorld.CalendarDate: \(day)/\(month)/\(year) is not a date")
            self.day = day
            self.month = month
            self.year = year
        }

        /// "7 March 1961": the one format used in biographies and choices alike.
        public var text: String { "\(day) \(KnowledgePools.months[month - 1]) \(year)" }

        /// Days in `month` of `year` (Gregorian leap years).
        public static func days(inMonth month: Int, year: Int) -> Int {
            switch month {
            case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
            case 4, 6, 9, 11: return 30
            default: return 31
            }
        }
    }

    /// An invented person and the five facts about them.
    public struct Person: Codable, Sendable, Equatable {
        public var givenName: String
        public var familyName: String
        public var birthDate: CalendarDate
        public var birthCity: String
        public var university: String
        public var employer: String
        public var field: String

        /// "Given Family".
        public var name: String { "\(givenName) \(familyName)" }

        /// The attribute as it is written in biographies and choices.
        public func value(of attribute: Attribute) -> String {
            switch attribute {
            case .birthDate: birthDate.text
            case .birthCity: birthCity
            case .university: university
            case .employer: employer
            case .field: field
            }
        }

        public init(givenName: String, familyName: String, birthDate: CalendarDate, birthCity: String,
                    university: String, employer: String, field: String) {
            self.givenName = givenName
            self.familyName = familyName
            self.birthDate = birthDate
            self.birthCity = birthCity
            self.university = university
            self.employer = employer
            self.field = field
        }

        enum CodingKeys: String, CodingKey {
            case givenName = "given_name", familyName = "family_name", birthDate = "birth_date", birthCity = "birth_city"
            case university, employer, field
        }
        private enum ExtraKeys: String, CodingKey { case name }

        /// The stored fields plus `name` (ignored when decoding).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(givenName, forKey: .givenName)
            try container.encode(familyName, forKey: .familyName)
            try container.encode(birthDate, forKey: .birthDate)
            try container.encode(birthCity, forKey: .birthCity)
            try container.encode(university, forKey: .university)
            try container.encode(employer, forKey: .employer)
            try container.encode(field, forKey: .field)
            var extra = encoder.container(keyedBy: ExtraKeys.self)
            try extra.encode(name, forKey: .name)
        }
    }

    /// The seed the world was built from.
    public let seed: UInt64
    /// The people, in the order they were generated.
    public let people: [Person]

    /// Purposes of the random streams derived from the seed.
    enum Stream: UInt64 { case people = 1, biographies = 2, questions = 3, questionWording = 4 }

    /// Builds the world for `seed` with `people` people (default 100; at least 1, at most
    /// 10,000).
    public init(seed: UInt64 = 0, people count: Int = 100) {
        check((1...10_000).contains(count), "KnowledgeWorld: people must be in 1...10000, got \(count)")
        self.seed = seed
        var random = KnowledgeRandom(seed: seed, stream: Stream.people.rawValue)
        var taken = Set((KnowledgePools.cities + KnowledgePools.universities + KnowledgePools.employers).map { $0.lowercased() })
        var people: [Person] = []
        people.reserveCapacity(count)
        for _ in 0..<count {
            let given = KnowledgeWorld.uniqueName(&random, taken: &taken) { KnowledgeWorld.givenName(&$0) }
            let family = KnowledgeWorld.uniqueName(&random, taken: &taken) { KnowledgeWorld.familyName(&$0) }
            people.append(Person(
                givenName: given, familyName: family,
                birthDate: KnowledgeWorld.randomDate(&random),
                birthCity: random.element(of: KnowledgePools.cities),
                university: random.element(of: KnowledgePools.universities),
                employer: random.element(of: KnowledgePools.employers),
                field: random.element(of: KnowledgePools.fields)))
        }
        self.people = people
    }

    /// The candidate answers of `attribute`'s pool (dates have none: they are drawn).
    public static func pool(of attribute: Attribute) -> [String] {
        switch attribute {
        case .birthDate: []
        case .birthCity: KnowledgePools.cities
        case .university: KnowledgePools.universities
        case .employer: KnowledgePools.employers
        case .field: KnowledgePools.fields
        }
    }

    /// The most choices a question can have: the smallest pool's size.
    public static var maximumChoices: Int {
        Attribute.allCases.filter { $0 != .birthDate }.map { pool(of: $0).count }.min()!
    }

    // MARK: Drawing

    /// A date: year uniform in ``KnowledgePools/years``, month uniform, day uniform in the month.
    static func randomDate(_ random: inout KnowledgeRandom) -> CalendarDate {
        let years = KnowledgePools.years
        let year = years.lowerBound + random.below(years.count)
        let month = 1 + random.below(12)
        let day = 1 + random.below(CalendarDate.days(inMonth: month, year: year))
        return CalendarDate(day: day, month: month, year: year)
    }

    /// A capitalised syllable-built name not yet in `taken` (compared lower-cased), added to it.
    static func uniqueName(_ random: inout KnowledgeRandom, taken: inout Set<String>,
                           _ make: (inout KnowledgeRandom) -> String) -> String {
        while true {
            let name = make(&random)
            if taken.insert(name.lowercased()).inserted { return name }
        }
    }

    /// onset·vowel·onset·vowel·ending, e.g. "Mira", "Tobeil".
    static func givenName(_ random: inout KnowledgeRandom) -> String {
        let p = KnowledgePools.self
        let text = random.element(of: p.onsets) + random.element(of: p.vowels)
            + random.element(of: p.onsets) + random.element(of: p.vowels) + random.element(of: p.givenEndings)
        return capitalized(text)
    }

    /// onset·vowel·onset·vowel·ending, e.g. "Drovaick", "Quelimont".
    static func familyName(_ random: inout KnowledgeRandom) -> String {
        let p = KnowledgePools.self
        let text = random.element(of: p.onsets) + random.element(of: p.vowels)
            + random.element(of: p.onsets) + random.element(of: p.vowels) + random.element(of: p.familyEndings)
        return capitalized(text)
    }

    /// The text with its first character upper-cased.
    static func capitalized(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }
}
