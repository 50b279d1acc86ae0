using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace BindingServer.Storage.Migrations.PostgreSQL
{
    /// <inheritdoc />
    public partial class InitialStore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "changes",
                columns: table => new
                {
                    revision = table.Column<long>(type: "bigint", nullable: false),
                    key = table.Column<string>(type: "text", nullable: false),
                    type = table.Column<string>(type: "text", nullable: false),
                    body = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_changes", x => x.revision);
                });

            migrationBuilder.CreateTable(
                name: "objects",
                columns: table => new
                {
                    key = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    revision = table.Column<long>(type: "bigint", nullable: false),
                    body = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_objects", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "revision",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    current = table.Column<long>(type: "bigint", nullable: false),
                    compacted = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_revision", x => x.id);
                });

            migrationBuilder.InsertData(
                table: "revision",
                columns: new[] { "id", "compacted", "current" },
                values: new object[] { 1, 0L, 1L });

            migrationBuilder.CreateIndex(
                name: "IX_changes_key_revision",
                table: "changes",
                columns: new[] { "key", "revision" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "changes");

            migrationBuilder.DropTable(
                name: "objects");

            migrationBuilder.DropTable(
                name: "revision");
        }
    }
}
