// SPDX-License-Identifier: Apache-2.0
// Our proto/rpc.proto is a copy of CRIU's RPC schema under our own package.
// Only field numbers, wire types and labels matter on the wire, so a typo in
// any of them would make CRIU read a different option than the one we set,
// silently. This test loads the rpc.proto that the installed CRIU ships and
// compares it, field by field, with the schema compiled into ccr.
#include <sys/stat.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "rpc.pb.h"
#include "stats.pb.h"

namespace {

namespace pb = google::protobuf;

constexpr const char *kCriuProtoDir = "/usr/local/include/criu";

// A schema of ours and the file of CRIU's it copies.
struct Schema {
	const char *name;
	const char *criu_file;
	const pb::FileDescriptor *(*ours)();
};
const Schema kRpc{"rpc", "rpc.proto", [] { return ccr::criu::criu_req::descriptor()->file(); }};
const Schema kStats{"stats", "stats.proto", [] { return ccr::criu::stats_entry::descriptor()->file(); }};

// Collects parse errors so a broken CRIU schema reads as a test failure with
// the reason, not as a crash on a null descriptor.
class Collector : public pb::compiler::MultiFileErrorCollector {
public:
#if GOOGLE_PROTOBUF_VERSION >= 4022000
	void RecordError(absl::string_view file, int line, int column, absl::string_view message) override
	{
		errors += std::string(file) + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " +
			  std::string(message) + "\n";
	}
#else
	void AddError(const std::string &file, int line, int column, const std::string &message) override
	{
		errors += file + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message +
			  "\n";
	}
#endif
	std::string errors;
};

const char *label_name(const pb::FieldDescriptor *f)
{
	if (f->is_repeated())
		return "repeated";
	return f->is_required() ? "required" : "optional";
}

// A field's default as text, so defaults of any type compare with one ==.
std::string default_of(const pb::FieldDescriptor *f)
{
	if (!f->has_default_value())
		return "(none)";
	switch (f->cpp_type()) {
	case pb::FieldDescriptor::CPPTYPE_INT32:
		return std::to_string(f->default_value_int32());
	case pb::FieldDescriptor::CPPTYPE_INT64:
		return std::to_string(f->default_value_int64());
	case pb::FieldDescriptor::CPPTYPE_UINT32:
		return std::to_string(f->default_value_uint32());
	case pb::FieldDescriptor::CPPTYPE_UINT64:
		return std::to_string(f->default_value_uint64());
	case pb::FieldDescriptor::CPPTYPE_BOOL:
		return f->default_value_bool() ? "true" : "false";
	case pb::FieldDescriptor::CPPTYPE_ENUM:
		return f->default_value_enum()->name() + "=" + std::to_string(f->default_value_enum()->number());
	case pb::FieldDescriptor::CPPTYPE_STRING:
		return "\"" + f->default_value_string() + "\"";
	default:
		return "(other)";
	}
}

class WireCompat : public ::testing::TestWithParam<Schema> {
protected:
	void SetUp() override { load(GetParam()); }

	void load(const Schema &schema)
	{
		std::string path = std::string(kCriuProtoDir) + "/" + schema.criu_file;
		struct stat st;
		if (::stat(path.c_str(), &st) != 0) {
			// On CI CRIU is always installed: a missing schema means the
			// check silently stopped running, which must not pass.
			const char *ci = std::getenv("CI");
			if (ci && std::string(ci) == "true")
				FAIL() << "CRIU's RPC schema " << path << " is missing (CI=true)";
			GTEST_SKIP() << "CRIU's RPC schema " << path << " is missing; install CRIU to run this check";
		}
		tree_.MapPath("", kCriuProtoDir);
		importer_ = std::make_unique<pb::compiler::Importer>(&tree_, &collector_);
		criu_ = importer_->Import(schema.criu_file);
		ASSERT_NE(criu_, nullptr) << "cannot parse " << path << ":\n" << collector_.errors;
		ours_ = schema.ours();
		ASSERT_NE(ours_, nullptr);
	}

	// CRIU's schema has no package, so its full names are the bare names.
	const pb::Descriptor *criu_message(const std::string &name) const
	{
		return criu_->pool()->FindMessageTypeByName(name);
	}
	const pb::EnumDescriptor *criu_enum(const std::string &name) const
	{
		return criu_->pool()->FindEnumTypeByName(name);
	}

	pb::compiler::DiskSourceTree tree_;
	Collector collector_;
	std::unique_ptr<pb::compiler::Importer> importer_;
	const pb::FileDescriptor *criu_ = nullptr;
	const pb::FileDescriptor *ours_ = nullptr;
};

// The RPC schema's own checks, on top of the generic ones.
class RpcWireCompat : public WireCompat {
protected:
	void SetUp() override { load(kRpc); }
};

TEST_F(RpcWireCompat, OurSchemaIsNotEmpty)
{
	// Guards the loops below: iterating over nothing would pass vacuously.
	EXPECT_GE(ours_->message_type_count(), 15);
	EXPECT_GE(ours_->enum_type_count(), 4);
	EXPECT_NE(ccr::criu::criu_opts::descriptor()->field_count(), 0);
}

INSTANTIATE_TEST_SUITE_P(Schemas, WireCompat, ::testing::Values(kRpc, kStats),
			 [](const auto &info) { return std::string(info.param.name); });

// Every message CRIU's file has, we have too, field for field (the stats
// image is read whole, so a missing field would be data dropped).
TEST_P(WireCompat, WeDefineEveryMessageAndFieldCriuDefines)
{
	for (int i = 0; i < criu_->message_type_count(); i++) {
		const pb::Descriptor *theirs = criu_->message_type(i);
		const pb::Descriptor *ours = ours_->FindMessageTypeByName(theirs->name());
		if (!ours) {
			ADD_FAILURE() << "message " << theirs->name() << " is missing from our "
				      << GetParam().criu_file;
			continue;
		}
		for (int j = 0; j < theirs->field_count(); j++)
			EXPECT_NE(ours->FindFieldByNumber(theirs->field(j)->number()), nullptr)
				<< theirs->name() << "." << theirs->field(j)->name() << " is missing";
	}
}

TEST_P(WireCompat, EveryFieldWeDefineMatchesCriu)
{
	for (int i = 0; i < ours_->message_type_count(); i++) {
		const pb::Descriptor *ours = ours_->message_type(i);
		const pb::Descriptor *theirs = criu_message(ours->name());
		if (!theirs) {
			ADD_FAILURE() << "message " << ours->name() << " does not exist in CRIU's "
				      << GetParam().criu_file;
			continue;
		}
		EXPECT_EQ(ours->nested_type_count(), 0) << ours->name() << ": nested types are not compared";
		for (int j = 0; j < ours->field_count(); j++) {
			const pb::FieldDescriptor *f = ours->field(j);
			std::string where = ours->name() + "." + f->name();
			const pb::FieldDescriptor *g = theirs->FindFieldByName(f->name());
			if (!g) {
				ADD_FAILURE() << where << " does not exist in CRIU's " << GetParam().criu_file;
				continue;
			}
			EXPECT_EQ(f->number(), g->number()) << where << ": field number";
			EXPECT_EQ(f->type(), g->type())
				<< where << ": type " << f->type_name() << " vs CRIU's " << g->type_name();
			EXPECT_STREQ(label_name(f), label_name(g)) << where << ": label";
			if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE && g->message_type()) {
				EXPECT_EQ(f->message_type()->name(), g->message_type()->name())
					<< where << ": message type";
			}
			if (f->type() == pb::FieldDescriptor::TYPE_ENUM && g->enum_type()) {
				EXPECT_EQ(f->enum_type()->name(), g->enum_type()->name()) << where << ": enum type";
			}
			// Defaults are not on the wire, but they are what an unset
			// field reads as on each side (images_dir_fd = -1).
			EXPECT_EQ(default_of(f), default_of(g)) << where << ": default value";
		}
	}
}

TEST_P(WireCompat, EveryEnumValueWeDefineMatchesCriu)
{
	for (int i = 0; i < ours_->enum_type_count(); i++) {
		const pb::EnumDescriptor *ours = ours_->enum_type(i);
		const pb::EnumDescriptor *theirs = criu_enum(ours->name());
		if (!theirs) {
			ADD_FAILURE() << "enum " << ours->name() << " does not exist in CRIU's "
				      << GetParam().criu_file;
			continue;
		}
		for (int j = 0; j < ours->value_count(); j++) {
			const pb::EnumValueDescriptor *v = ours->value(j);
			const pb::EnumValueDescriptor *w = theirs->FindValueByName(v->name());
			if (!w) {
				ADD_FAILURE() << ours->name() << "." << v->name() << " does not exist in CRIU's "
					      << GetParam().criu_file;
				continue;
			}
			EXPECT_EQ(v->number(), w->number()) << ours->name() << "." << v->name();
		}
	}
}

// The other direction for the messages that carry options and answers: an
// option CRIU has and we lack is an option nobody can ask for, and a response
// field we lack is data we drop.
TEST_F(RpcWireCompat, WeDefineEveryFieldCriuDefines)
{
	for (const pb::Descriptor *ours : {ccr::criu::criu_opts::descriptor(), ccr::criu::criu_req::descriptor(),
					   ccr::criu::criu_resp::descriptor()}) {
		const pb::Descriptor *theirs = criu_message(ours->name());
		ASSERT_NE(theirs, nullptr) << ours->name();
		for (int j = 0; j < theirs->field_count(); j++) {
			const pb::FieldDescriptor *g = theirs->field(j);
			const pb::FieldDescriptor *f = ours->FindFieldByNumber(g->number());
			EXPECT_NE(f, nullptr) << ours->name() << ": CRIU's field " << g->name() << " = " << g->number()
					      << " is missing from proto/rpc.proto";
			if (f) {
				EXPECT_EQ(f->name(), g->name()) << ours->name() << " field " << g->number();
			}
		}
	}
}

// criu_resp.type is required: a request type CRIU knows and we do not would
// make every answer of that type unparseable, so the enum must be complete.
TEST_F(RpcWireCompat, WeKnowEveryRequestTypeCriuKnows)
{
	const pb::EnumDescriptor *ours = ccr::criu::criu_req_type_descriptor();
	const pb::EnumDescriptor *theirs = criu_enum(ours->name());
	ASSERT_NE(theirs, nullptr);
	for (int j = 0; j < theirs->value_count(); j++) {
		const pb::EnumValueDescriptor *w = theirs->value(j);
		const pb::EnumValueDescriptor *v = ours->FindValueByNumber(w->number());
		EXPECT_NE(v, nullptr) << "criu_req_type " << w->name() << " = " << w->number() << " is missing";
		if (v) {
			EXPECT_EQ(v->name(), w->name());
		}
	}
}

} // namespace
